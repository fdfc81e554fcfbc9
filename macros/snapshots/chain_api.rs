pub struct Api {
    keys: Keys,
}
///The singletons [`Api::new`] is given, by name.
pub struct ApiSingletons {
    #[allow(missing_docs)]
    pub keys: Keys,
}
#[doc(hidden)]
#[allow(dead_code, non_camel_case_types)]
trait __KilnUnresolvedApi {
    fn __kiln_new(_: ApiSingletons) -> Api {
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
impl __KilnUnresolvedApi for Api {}
impl Api {
    /// Builds the app from its singletons.
    #[allow(clippy::new_without_default)]
    pub fn new(singletons: ApiSingletons) -> Self {
        Self::__kiln_new(singletons)
    }
    /// The resolved chain of every route: middleware in order with
    /// their priority, phase, what each needs (and where it comes
    /// from) and provides; singletons and request-scoped and transient
    /// services. Static data; `Display` prints it as tables.
    #[allow(dead_code)]
    pub fn describe(&self) -> &'static ::kiln::__private::describe::Description {
        Self::__kiln_description()
    }
    ///The `keys` singleton.
    #[allow(dead_code)]
    pub fn keys(&self) -> &Keys {
        &self.keys
    }
}
impl ::kiln::__private::App for Api {
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
impl Api {
    #[inline]
    fn __kiln_new(singletons: ApiSingletons) -> Self {
        let ApiSingletons { keys } = singletons;
        Self { keys }
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
                "/me" => {
                    if *__kiln_req.method() == ::kiln::__private::Method::GET
                        || *__kiln_req.method() == ::kiln::__private::Method::HEAD
                    {
                        let __kiln_cx = &::kiln::__private::RequestCx::new(
                            __kiln_info,
                            &::kiln::__private::PathParams::EMPTY,
                            ::core::option::Option::Some("/me"),
                        );
                        return {
                            let mut __kiln_res: ::kiln::__private::Response;
                            {
                                '__kiln_inside_log: {
                                    {
                                        let __kiln_claims = match ::kiln::__private::send(
                                                auth(
                                                    ::kiln::__private::lend(&*__kiln_req),
                                                    ::kiln::__private::lend(&self.keys),
                                                ),
                                            )
                                            .await
                                        {
                                            ::core::result::Result::Ok(v) => v,
                                            ::core::result::Result::Err(__kiln_e) => {
                                                __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                                    __kiln_e,
                                                );
                                                break '__kiln_inside_log;
                                            }
                                        };
                                        {
                                            let mut __kiln_session = match ::kiln::__private::send(
                                                    session(::kiln::__private::lend(&*__kiln_req)),
                                                )
                                                .await
                                            {
                                                ::core::result::Result::Ok(v) => v,
                                                ::core::result::Result::Err(__kiln_e) => {
                                                    __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                                        __kiln_e,
                                                    );
                                                    break '__kiln_inside_log;
                                                }
                                            };
                                            audit(
                                                ::kiln::__private::lend(&__kiln_claims),
                                                ::kiln::__private::lend_mut(&mut __kiln_session),
                                            );
                                            {
                                                let __kiln_method = match ::kiln::__private::FromRequest::from_request(
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
                                                        break '__kiln_inside_log;
                                                    }
                                                };
                                                __kiln_res = {
                                                    let __kiln_out = me(
                                                        ::kiln::__private::lend(&__kiln_claims),
                                                        ::kiln::__private::lend(&__kiln_session),
                                                        __kiln_method,
                                                    );
                                                    ::kiln::__private::IntoResponse::into_response(__kiln_out)
                                                };
                                            }
                                        }
                                    }
                                }
                                log(::kiln::__private::lend_mut(&mut __kiln_res));
                            }
                            __kiln_res
                        };
                    }
                    "GET, HEAD"
                }
                "/health" => {
                    if *__kiln_req.method() == ::kiln::__private::Method::GET
                        || *__kiln_req.method() == ::kiln::__private::Method::HEAD
                    {
                        let __kiln_cx = &::kiln::__private::RequestCx::new(
                            __kiln_info,
                            &::kiln::__private::PathParams::EMPTY,
                            ::core::option::Option::Some("/health"),
                        );
                        return {
                            let mut __kiln_res: ::kiln::__private::Response;
                            {
                                '__kiln_inside_log: {
                                    {
                                        let __kiln_claims = match ::kiln::__private::send(
                                                auth(
                                                    ::kiln::__private::lend(&*__kiln_req),
                                                    ::kiln::__private::lend(&self.keys),
                                                ),
                                            )
                                            .await
                                        {
                                            ::core::result::Result::Ok(v) => v,
                                            ::core::result::Result::Err(__kiln_e) => {
                                                __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                                    __kiln_e,
                                                );
                                                break '__kiln_inside_log;
                                            }
                                        };
                                        {
                                            __kiln_res = {
                                                let __kiln_out = health();
                                                ::kiln::__private::IntoResponse::into_response(__kiln_out)
                                            };
                                        }
                                    }
                                }
                                log(::kiln::__private::lend_mut(&mut __kiln_res));
                            }
                            __kiln_res
                        };
                    }
                    "GET, HEAD"
                }
                _ => "",
            };
            let __kiln_cx = &::kiln::__private::RequestCx::new(
                __kiln_info,
                &::kiln::__private::PathParams::EMPTY,
                ::core::option::Option::None,
            );
            {
                let mut __kiln_res: ::kiln::__private::Response;
                {
                    '__kiln_inside_log: {
                        {
                            let __kiln_claims = match ::kiln::__private::send(
                                    auth(
                                        ::kiln::__private::lend(&*__kiln_req),
                                        ::kiln::__private::lend(&self.keys),
                                    ),
                                )
                                .await
                            {
                                ::core::result::Result::Ok(v) => v,
                                ::core::result::Result::Err(__kiln_e) => {
                                    __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                        __kiln_e,
                                    );
                                    break '__kiln_inside_log;
                                }
                            };
                            {
                                __kiln_res = if __kiln_allow.is_empty() {
                                    ::kiln::__private::not_found()
                                } else {
                                    ::kiln::__private::method_not_allowed(__kiln_allow)
                                };
                            }
                        }
                    }
                    log(::kiln::__private::lend_mut(&mut __kiln_res));
                }
                __kiln_res
            }
        }
    }
}
