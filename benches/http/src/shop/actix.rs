//! The actix-web + sqlx peer of `shop`: add-to-cart and checkout, written
//! the way actix users write them — `web::Data` with the database and the
//! payment service, a `FromRequest` extractor for `X-User-Id`,
//! `web::Json` bodies with a `JsonConfig` error handler for the shop's JSON
//! errors, a `ResponseError` for the rest, `begin()` and `commit()` by hand
//! around [`store`]'s queries (`examples/shop`'s SQL).

use std::fmt;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::{App, FromRequest, HttpRequest, HttpResponse, HttpServer, ResponseError, web};

use super::super::app_db::{self, Db};
use super::super::server::{ServeError, ServerArgs};
use super::super::tfb;
use super::store::{self, AddItem, CheckoutBody, Payments, ShopError};
use super::{MIGRATIONS, USER_HEADER};

/// What every handler shares.
struct Shop {
    db: Db,
    payments: Payments,
}

/// The shop's error as an actix error.
#[derive(Debug)]
struct ApiError(ShopError);

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shop error ({})", self.0.status())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(self.0.body())
    }
}

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

/// The signed-in user, from `X-User-Id`.
struct Customer(i64);

impl FromRequest for Customer {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req.headers().get(USER_HEADER).map(HeaderValue::as_bytes);
        ready(store::user(value).map(Customer).map_err(ApiError))
    }
}

async fn add(
    shop: web::Data<Shop>,
    user: Customer,
    item: web::Json<AddItem>,
) -> Result<HttpResponse, ApiError> {
    item.validate()?;
    let mut tx = shop.db.begin().await?;
    match store::add(&mut tx, user.0, &item).await {
        Ok(cart) => {
            tx.commit().await?;
            Ok(HttpResponse::Ok().json(cart))
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

async fn checkout(
    shop: web::Data<Shop>,
    user: Customer,
    card: web::Json<CheckoutBody>,
) -> Result<HttpResponse, ApiError> {
    card.validate()?;
    let mut tx = shop.db.begin().await?;
    match store::checkout(&mut tx, &shop.payments, user.0, &card).await {
        Ok(order) => {
            tx.commit().await?;
            Ok(HttpResponse::Created().json(order))
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

/// Serves `shop` on `args.db` until killed.
///
/// # Errors
/// When the database cannot be opened or the port bound.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    let url = tfb::db_url()?;
    let addr = ("127.0.0.1", args.port);
    let (workers, kind) = (args.workers, args.db);
    actix_web::rt::System::new().block_on(async move {
        let shop = web::Data::new(Shop {
            db: app_db::open(kind, &url, MIGRATIONS).await?,
            payments: Payments::default(),
        });
        HttpServer::new(move || {
            // A body that is not the JSON expected is the shop's `400`, not actix's text.
            let json = web::JsonConfig::default()
                .error_handler(|e, _| ApiError(ShopError::BadBody(e.to_string())).into());
            App::new().app_data(shop.clone()).app_data(json).service(
                web::scope("/api")
                    .route("/cart/items", web::post().to(add))
                    .route("/orders", web::post().to(checkout)),
            )
        })
        .workers(workers)
        .bind(addr)?
        .run()
        .await
    })?;
    Ok(())
}
