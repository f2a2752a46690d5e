//! Start an API from scratch: name, version, context, description.

use crate::components::guard::RequirePermission;
use crate::components::notice::ActionError;
use crate::functions::apis::CreateApi;
use gatehouse_contract::Permission;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NewApiPage() -> impl IntoView {
    let create = ServerAction::<CreateApi>::new();
    view! {
        <Title text="New API"/>
        <RequirePermission permission=Permission::DesignApis>
            <section class="panel narrow wide">
                <h1>"Start an API"</h1>
                <ActionForm action=create attr:class="form">
                    <label>"Name" <input type="text" name="name" required maxlength="100" placeholder="Reviews"/></label>
                    <label>"Version" <input type="text" name="version" required maxlength="30" placeholder="1.0.0"/></label>
                    <label>"Context"
                        <input type="text" name="context" placeholder="/reviews/1.0.0 (default: from name and version)"/>
                        <small class="muted">"The path the gateway serves this API under; unique among live APIs."</small>
                    </label>
                    <label>"Description" <textarea name="description" rows="3"></textarea></label>
                    <button type="submit" class="button">"Create API"</button>
                    <ActionError result=create.value().into()/>
                </ActionForm>
            </section>
        </RequirePermission>
    }
}
