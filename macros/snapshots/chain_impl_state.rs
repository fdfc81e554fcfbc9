struct App {}
#[doc(hidden)]
#[allow(dead_code, non_camel_case_types)]
trait __KilnUnresolvedApp {
    fn __kiln_new() -> App {
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
    fn new() -> Self {
        Self::__kiln_new()
    }
    /// The resolved chain of every route: middleware in order with
    /// their priority, phase, what each needs (and where it comes
    /// from) and provides; singletons and request-scoped and transient
    /// services. Static data; `Display` prints it as tables.
    #[allow(dead_code)]
    fn describe(&self) -> &'static ::kiln::__private::describe::Description {
        Self::__kiln_description()
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
    fn __kiln_new() -> Self {
        Self {}
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
                "/" => {
                    if *__kiln_req.method() == ::kiln::__private::Method::GET
                        || *__kiln_req.method() == ::kiln::__private::Method::HEAD
                    {
                        let __kiln_cx = &::kiln::__private::RequestCx::new(
                            __kiln_info,
                            &::kiln::__private::PathParams::EMPTY,
                            ::core::option::Option::Some("/"),
                        );
                        return {
                            let mut __kiln_res: ::kiln::__private::Response;
                            {
                                let __kiln_timer = Timer::pre();
                                '__kiln_inside_timer: {
                                    {
                                        __kiln_res = {
                                            let __kiln_out = hello(
                                                ::kiln::__private::lend(&__kiln_timer),
                                            );
                                            ::kiln::__private::IntoResponse::into_response(__kiln_out)
                                        };
                                    }
                                }
                                Timer::post(
                                    ::kiln::__private::lend(&__kiln_timer),
                                    ::kiln::__private::lend_mut(&mut __kiln_res),
                                );
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
                    let __kiln_timer = Timer::pre();
                    '__kiln_inside_timer: {
                        {
                            __kiln_res = if __kiln_allow.is_empty() {
                                ::kiln::__private::not_found()
                            } else {
                                ::kiln::__private::method_not_allowed(__kiln_allow)
                            };
                        }
                    }
                    Timer::post(
                        ::kiln::__private::lend(&__kiln_timer),
                        ::kiln::__private::lend_mut(&mut __kiln_res),
                    );
                }
                __kiln_res
            }
        }
    }
}
