struct App {
    timeout: Timeout,
}
///The singletons [`App::new`] is given, by name.
struct AppSingletons {
    #[allow(missing_docs)]
    pub timeout: Timeout,
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
    ///The `timeout` singleton.
    #[allow(dead_code)]
    fn timeout(&self) -> &Timeout {
        &self.timeout
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
        let AppSingletons { timeout } = singletons;
        Self { timeout }
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
                "/slow" => {
                    if *__kiln_req.method() == ::kiln::__private::Method::GET
                        || *__kiln_req.method() == ::kiln::__private::Method::HEAD
                    {
                        let __kiln_cx = &::kiln::__private::RequestCx::new(
                            __kiln_info,
                            &::kiln::__private::PathParams::EMPTY,
                            ::core::option::Option::Some("/slow"),
                        );
                        return {
                            let mut __kiln_res: ::kiln::__private::Response;
                            {
                                '__kiln_inside_security: {
                                    {
                                        {
                                            let __kiln_next = async {
                                                let __kiln_res: ::kiln::__private::Response;
                                                {
                                                    match gate(::kiln::__private::lend(&*__kiln_req)) {
                                                        ::core::result::Result::Ok(v) => v,
                                                        ::core::result::Result::Err(__kiln_e) => {
                                                            return ::kiln::__private::IntoResponse::into_response(
                                                                __kiln_e,
                                                            );
                                                        }
                                                    };
                                                    {
                                                        __kiln_res = {
                                                            let __kiln_out = ::kiln::__private::send(slow()).await;
                                                            ::kiln::__private::IntoResponse::into_response(__kiln_out)
                                                        };
                                                    }
                                                }
                                                __kiln_res
                                            };
                                            let __kiln_next = ::core::pin::pin!(__kiln_next);
                                            __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                                ::kiln::__private::send(
                                                        Timeout::wrap(
                                                            ::kiln::__private::lend(&self.timeout),
                                                            ::kiln::__private::Next::new(__kiln_next),
                                                        ),
                                                    )
                                                    .await,
                                            );
                                        }
                                    }
                                }
                                security(::kiln::__private::lend_mut(&mut __kiln_res));
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
                    '__kiln_inside_security: {
                        {
                            {
                                let __kiln_next = async {
                                    let __kiln_res: ::kiln::__private::Response;
                                    {
                                        match gate(::kiln::__private::lend(&*__kiln_req)) {
                                            ::core::result::Result::Ok(v) => v,
                                            ::core::result::Result::Err(__kiln_e) => {
                                                return ::kiln::__private::IntoResponse::into_response(
                                                    __kiln_e,
                                                );
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
                                    __kiln_res
                                };
                                let __kiln_next = ::core::pin::pin!(__kiln_next);
                                __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                    ::kiln::__private::send(
                                            Timeout::wrap(
                                                ::kiln::__private::lend(&self.timeout),
                                                ::kiln::__private::Next::new(__kiln_next),
                                            ),
                                        )
                                        .await,
                                );
                            }
                        }
                    }
                    security(::kiln::__private::lend_mut(&mut __kiln_res));
                }
                __kiln_res
            }
        }
    }
}
