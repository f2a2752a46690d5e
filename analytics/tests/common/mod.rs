//! What the analytics tests share: gateway events made to order.

use gatehouse_contract::{ErrorType, GatewayEvent};

/// Event `e-{i}` at `ts` of `api` called by `application`, answered `status` (by the backend
/// unless the gateway refused with `error`) in `latency_ms`.
pub fn event(
    i: usize,
    ts: i64,
    api: &str,
    application: &str,
    status: u16,
    error: Option<ErrorType>,
    latency_ms: f64,
) -> GatewayEvent {
    GatewayEvent {
        event_id: format!("e-{i}"),
        timestamp: ts,
        correlation_id: String::new(),
        api_id: api.into(),
        api_name: format!("{api} <b>name</b>"),
        api_version: "1".into(),
        api_context: format!("/{api}"),
        method: "GET".into(),
        resource: "/things/{id}".into(),
        application_id: application.into(),
        application_name: format!("{application} app"),
        consumer: format!("{application}@example.com"),
        key_type: "production".into(),
        tier: "Gold".into(),
        group: "g".into(),
        instance: "i".into(),
        region: "eu".into(),
        status,
        backend_status: error.is_none().then_some(status),
        latency_ms,
        backend_latency_ms: error.is_none().then_some(latency_ms - 0.5),
        request_bytes: 0,
        response_bytes: 10,
        user_agent: String::new(),
        error,
    }
}
