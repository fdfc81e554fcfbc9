struct App {
    db: Db,
    __kiln_router: ::kiln::__private::Router,
}
///The singletons [`App::new`] is given, by name.
struct AppSingletons {
    #[allow(missing_docs)]
    pub db: Db,
}
#[doc(hidden)]
#[allow(dead_code, non_camel_case_types)]
trait __KilnUnresolvedApp {
    fn __kiln_new(_: AppSingletons) -> App {
        ::core::unreachable!("`chain!` reported an error")
    }
    fn __kiln_description() -> &'static ::kiln::__private::describe::Description {
        ::core::unreachable!("`chain!` reported an error")
    }
    fn __kiln_handle<'__kiln_a>(
        &'__kiln_a self,
        _: ::kiln::__private::Request,
        _: &'__kiln_a mut ::kiln::__private::Conn,
    ) -> impl ::core::future::Future<
        Output = ::kiln::__private::Response,
    > + ::core::marker::Send + '__kiln_a {
        async move { ::core::unreachable!("`chain!` reported an error") }
    }
}
impl __KilnUnresolvedApp for App {}
impl App {
    /// Builds the app from its singletons.
    #[allow(clippy::new_without_default)]
    fn new(singletons: AppSingletons) -> Self {
        Self::__kiln_new(singletons)
    }
    /// The resolved chain of every route: middleware in order with
    /// their priority, phase, what each needs (and where it comes
    /// from) and provides; singletons and request-scoped and transient
    /// services. Static data; `Display` prints it as tables.
    #[allow(dead_code)]
    fn describe(&self) -> &'static ::kiln::__private::describe::Description {
        Self::__kiln_description()
    }
    ///The `db` singleton.
    #[allow(dead_code)]
    fn db(&self) -> &Db {
        &self.db
    }
}
impl ::kiln::__private::App for App {
    #[inline]
    fn handle<'__kiln_a>(
        &'__kiln_a self,
        req: ::kiln::__private::Request,
        conn: &'__kiln_a mut ::kiln::__private::Conn,
    ) -> impl ::core::future::Future<
        Output = ::kiln::__private::Response,
    > + ::core::marker::Send + '__kiln_a {
        self.__kiln_handle(req, conn)
    }
}
impl App {
    #[inline]
    fn __kiln_new(singletons: AppSingletons) -> Self {
        let AppSingletons { db } = singletons;
        Self {
            db,
            __kiln_router: ::kiln::__private::Router::new(
                &[("/users/{id}", 0u16, &["id"]), ("/files/{*rest}", 1u16, &["rest"])],
            ),
        }
    }
    #[allow(unused_labels, unused_variables, unreachable_code, clippy::let_unit_value)]
    fn __kiln_handle<'__kiln_a>(
        &'__kiln_a self,
        mut __kiln_owned: ::kiln::__private::Request,
        __kiln_conn: &'__kiln_a mut ::kiln::__private::Conn,
    ) -> impl ::core::future::Future<
        Output = ::kiln::__private::Response,
    > + ::core::marker::Send + '__kiln_a {
        async move {
            let __kiln_req = &mut __kiln_owned;
            let (__kiln_info, __kiln_arena) = __kiln_conn.split();
            let __kiln_allow: &'static str = match __kiln_req.uri().path() {
                "/admin/items" => {
                    if *__kiln_req.method() == ::kiln::__private::Method::POST {
                        let __kiln_cx = &::kiln::__private::RequestCx::new(
                            __kiln_info,
                            &::kiln::__private::PathParams::EMPTY,
                            ::core::option::Option::Some("/admin/items"),
                        );
                        return {
                            let mut __kiln_res: ::kiln::__private::Response;
                            {
                                let __kiln_admin = match admin(
                                    ::kiln::__private::lend(&*__kiln_req),
                                ) {
                                    ::core::result::Result::Ok(v) => v,
                                    ::core::result::Result::Err(__kiln_e) => {
                                        return ::kiln::__private::IntoResponse::into_response(
                                            __kiln_e,
                                        );
                                    }
                                };
                                {
                                    '__kiln_inside_no_store: {
                                        {
                                            let __kiln_json_new = match ::kiln::__private::FromRequest::from_request(
                                                    &mut *__kiln_req,
                                                    __kiln_cx,
                                                )
                                                .await
                                            {
                                                ::core::result::Result::Ok(v) => v,
                                                ::core::result::Result::Err(__kiln_r) => {
                                                    __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                                        __kiln_r,
                                                    );
                                                    break '__kiln_inside_no_store;
                                                }
                                            };
                                            let mut __kiln_tx = match ::kiln::__private::send(
                                                    tx(::kiln::__private::lend(&self.db)),
                                                )
                                                .await
                                            {
                                                ::core::result::Result::Ok(v) => v,
                                                ::core::result::Result::Err(__kiln_e) => {
                                                    __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                                        __kiln_e,
                                                    );
                                                    break '__kiln_inside_no_store;
                                                }
                                            };
                                            __kiln_res = {
                                                let __kiln_out = ::kiln::__private::send(
                                                        create(
                                                            ::kiln::__private::lend(&__kiln_admin),
                                                            ::kiln::__private::lend_mut(&mut __kiln_tx),
                                                            __kiln_json_new,
                                                        ),
                                                    )
                                                    .await;
                                                ::kiln::__private::IntoResponse::into_response(__kiln_out)
                                            };
                                        }
                                    }
                                    no_store(::kiln::__private::lend_mut(&mut __kiln_res));
                                }
                            }
                            __kiln_res
                        };
                    }
                    "POST"
                }
                "/items" => {
                    if *__kiln_req.method() == ::kiln::__private::Method::PUT {
                        let __kiln_cx = &::kiln::__private::RequestCx::new(
                            __kiln_info,
                            &::kiln::__private::PathParams::EMPTY,
                            ::core::option::Option::Some("/items"),
                        );
                        return {
                            let mut __kiln_res: ::kiln::__private::Response;
                            {
                                let __kiln_admin = match admin(
                                    ::kiln::__private::lend(&*__kiln_req),
                                ) {
                                    ::core::result::Result::Ok(v) => v,
                                    ::core::result::Result::Err(__kiln_e) => {
                                        return ::kiln::__private::IntoResponse::into_response(
                                            __kiln_e,
                                        );
                                    }
                                };
                                {
                                    '__kiln_inside_no_store: {
                                        {
                                            let __kiln_json_new = match ::kiln::__private::FromRequest::from_request(
                                                    &mut *__kiln_req,
                                                    __kiln_cx,
                                                )
                                                .await
                                            {
                                                ::core::result::Result::Ok(v) => v,
                                                ::core::result::Result::Err(__kiln_r) => {
                                                    __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                                        __kiln_r,
                                                    );
                                                    break '__kiln_inside_no_store;
                                                }
                                            };
                                            let mut __kiln_tx = match ::kiln::__private::send(
                                                    tx(::kiln::__private::lend(&self.db)),
                                                )
                                                .await
                                            {
                                                ::core::result::Result::Ok(v) => v,
                                                ::core::result::Result::Err(__kiln_e) => {
                                                    __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                                        __kiln_e,
                                                    );
                                                    break '__kiln_inside_no_store;
                                                }
                                            };
                                            __kiln_res = {
                                                let __kiln_out = ::kiln::__private::send(
                                                        create(
                                                            ::kiln::__private::lend(&__kiln_admin),
                                                            ::kiln::__private::lend_mut(&mut __kiln_tx),
                                                            __kiln_json_new,
                                                        ),
                                                    )
                                                    .await;
                                                ::kiln::__private::IntoResponse::into_response(__kiln_out)
                                            };
                                        }
                                    }
                                    no_store(::kiln::__private::lend_mut(&mut __kiln_res));
                                }
                            }
                            __kiln_res
                        };
                    }
                    "PUT"
                }
                __kiln_path => {
                    match self.__kiln_router.find(__kiln_path) {
                        ::core::option::Option::Some((__kiln_index, __kiln_params)) => {
                            match __kiln_index {
                                0u16 => {
                                    if *__kiln_req.method() == ::kiln::__private::Method::GET
                                        || *__kiln_req.method() == ::kiln::__private::Method::HEAD
                                    {
                                        let __kiln_cx = &::kiln::__private::RequestCx::new(
                                            __kiln_info,
                                            &__kiln_params,
                                            ::core::option::Option::Some("/users/{id}"),
                                        );
                                        return {
                                            let __kiln_res: ::kiln::__private::Response;
                                            {
                                                let __kiln_path_u32 = match ::kiln::__private::FromRequest::from_request(
                                                        &mut *__kiln_req,
                                                        __kiln_cx,
                                                    )
                                                    .await
                                                {
                                                    ::core::result::Result::Ok(v) => v,
                                                    ::core::result::Result::Err(__kiln_r) => {
                                                        return ::kiln::__private::IntoResponse::into_response(
                                                            __kiln_r,
                                                        );
                                                    }
                                                };
                                                __kiln_res = {
                                                    let __kiln_out = user(
                                                        __kiln_path_u32,
                                                        stamp(::kiln::__private::lend(&*__kiln_req)),
                                                    );
                                                    ::kiln::__private::IntoResponse::into_response(__kiln_out)
                                                };
                                            }
                                            __kiln_res
                                        };
                                    }
                                    "GET, HEAD"
                                }
                                1u16 => {
                                    if *__kiln_req.method() == ::kiln::__private::Method::GET
                                        || *__kiln_req.method() == ::kiln::__private::Method::HEAD
                                    {
                                        let __kiln_cx = &::kiln::__private::RequestCx::new(
                                            __kiln_info,
                                            &__kiln_params,
                                            ::core::option::Option::Some("/files/{*rest}"),
                                        );
                                        return {
                                            let __kiln_res: ::kiln::__private::Response;
                                            {
                                                let __kiln_path_string = match ::kiln::__private::FromRequest::from_request(
                                                        &mut *__kiln_req,
                                                        __kiln_cx,
                                                    )
                                                    .await
                                                {
                                                    ::core::result::Result::Ok(v) => v,
                                                    ::core::result::Result::Err(__kiln_r) => {
                                                        return ::kiln::__private::IntoResponse::into_response(
                                                            __kiln_r,
                                                        );
                                                    }
                                                };
                                                __kiln_res = {
                                                    let __kiln_out = file(__kiln_path_string);
                                                    ::kiln::__private::IntoResponse::into_response(__kiln_out)
                                                };
                                            }
                                            __kiln_res
                                        };
                                    }
                                    "GET, HEAD"
                                }
                                _ => "",
                            }
                        }
                        ::core::option::Option::None => "",
                    }
                }
            };
            let __kiln_cx = &::kiln::__private::RequestCx::new(
                __kiln_info,
                &::kiln::__private::PathParams::EMPTY,
                ::core::option::Option::None,
            );
            {
                let __kiln_res: ::kiln::__private::Response;
                {
                    __kiln_res = if __kiln_allow.is_empty() {
                        ::kiln::__private::not_found()
                    } else {
                        ::kiln::__private::method_not_allowed(__kiln_allow)
                    };
                }
                __kiln_res
            }
        }
    }
}
