//! `gatehouse user` and `gatehouse token`: accounts and personal access tokens, on the data
//! directory (no server needed), as an operator sets up a pipeline.

use super::open_store;
use crate::config::StoreArgs;
use clap::Subcommand;
use gatehouse_contract::Role;
use gatehouse_domain::{DomainError, accounts, audit, tokens};

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account (or set the password and role of an existing one). Without
    /// --password a random one is generated and printed once.
    Create {
        /// The account's email (its sign-in name).
        #[arg(long)]
        email: String,
        /// admin, publisher, creator or consumer.
        #[arg(long)]
        role: Role,
        /// At least 10 characters.
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a personal access token for an account and print it once.
    Create {
        /// The account the token acts as.
        #[arg(long)]
        email: String,
        /// What the token is for (e.g. the pipeline's name), shown in the account's token list.
        #[arg(long)]
        name: String,
    },
}

pub async fn run_user(store: &StoreArgs, command: UserCommand) -> Result<(), DomainError> {
    let UserCommand::Create { email, role, password } = command;
    let db = open_store(store).await?;
    let generated = password.is_none();
    let password = password.unwrap_or_else(accounts::generate_password);
    match accounts::create_user(&db, audit::SYSTEM, &email, &password, role).await {
        Ok(user) => println!("created {} ({})", user.email, user.role),
        Err(DomainError::Conflict(_)) => {
            // Re-running the command converges the account to what was asked for.
            accounts::set_password(&db, audit::SYSTEM, &email, &password).await?;
            let actor = accounts::actor_by_email(&db, &email).await?;
            let system =
                gatehouse_domain::Actor { user_id: String::new(), email: audit::SYSTEM.into(), role: Role::Admin };
            accounts::change_role(&db, &system, &actor.user_id, role).await?;
            println!("updated {} ({role})", actor.email);
        }
        Err(e) => return Err(e),
    }
    if generated {
        println!("password: {password}");
    }
    Ok(())
}

pub async fn run_token(store: &StoreArgs, command: TokenCommand) -> Result<(), DomainError> {
    let TokenCommand::Create { email, name } = command;
    let db = open_store(store).await?;
    let token = tokens::create_for_email(&db, &email, &name).await?;
    // Only the token on stdout, so scripts can capture it: `T=$(gatehouse token create …)`.
    println!("{}", token.token);
    eprintln!("token “{}” created for {email}; it is shown only this once", token.name);
    Ok(())
}
