//! The axum + sqlx peer of `shop`: add-to-cart and checkout, written the
//! way axum users write them — `State` with the database and the payment
//! service, a `FromRequestParts` extractor for `X-User-Id`, `Json` bodies
//! (their rejections turned into the shop's JSON errors), `begin()` and
//! `commit()` by hand around [`store`]'s queries (`examples/shop`'s SQL).

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt;
use axum::{Json, Router};

use super::super::app_db::{self, Db};
use super::super::server::{ServeError, ServerArgs, bind, tokio_runtime};
use super::super::tfb;
use super::store::{self, AddItem, CheckoutBody, Payments, ShopError};
use super::{MIGRATIONS, USER_HEADER};

/// What every handler shares.
struct App {
    db: Db,
    payments: Payments,
}

type AppState = State<Arc<App>>;

/// The shop's error as an axum response.
struct ApiError(ShopError);

impl From<ShopError> for ApiError {
    fn from(e: ShopError) -> Self {
        ApiError(e)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError(ShopError::Db(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0.body())).into_response()
    }
}

/// The signed-in user, from `X-User-Id`.
struct Customer(i64);

impl<S: Send + Sync> FromRequestParts<S> for Customer {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let value = parts.headers.get(USER_HEADER).map(HeaderValue::as_bytes);
        Ok(Customer(store::user(value)?))
    }
}

/// A JSON body, or the shop's `400`.
fn body<T>(got: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    got.map(|Json(t)| t)
        .map_err(|e| ApiError(ShopError::BadBody(e.body_text())))
}

async fn add(
    State(app): AppState,
    Customer(user): Customer,
    item: Result<Json<AddItem>, JsonRejection>,
) -> Result<Response, ApiError> {
    let item = body(item)?;
    item.validate()?;
    let mut tx = app.db.begin().await?;
    match store::add(&mut tx, user, &item).await {
        Ok(cart) => {
            tx.commit().await?;
            Ok(Json(cart).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

async fn checkout(
    State(app): AppState,
    Customer(user): Customer,
    card: Result<Json<CheckoutBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let card = body(card)?;
    card.validate()?;
    let mut tx = app.db.begin().await?;
    match store::checkout(&mut tx, &app.payments, user, &card).await {
        Ok(order) => {
            tx.commit().await?;
            Ok((StatusCode::CREATED, Json(order)).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Serves `shop` on `args.db` until killed.
///
/// # Errors
/// When the database cannot be opened or the port bound.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    let url = tfb::db_url()?;
    let (port, kind) = (args.port, args.db);
    let rt = tokio_runtime(args.workers)?;
    rt.block_on(async move {
        let app = Arc::new(App {
            db: app_db::open(kind, &url, MIGRATIONS).await?,
            payments: Payments::default(),
        });
        let api = Router::new()
            .route("/cart/items", post(add))
            .route("/orders", post(checkout));
        let app = Router::new().nest("/api", api).with_state(app);
        let listener = bind(port).await?.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        // Spawned so that all the work runs on the worker threads.
        tokio::spawn(async move { axum::serve(listener, app).await })
            .await
            .map_err(io)?
    })?;
    Ok(())
}
