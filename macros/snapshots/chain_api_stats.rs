pub struct Api {
    keys: Keys,
    __kiln_stats: ::kiln::__private::Stats,
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
    /// Executions, short-circuits and latencies of every route,
    /// middleware and handler since `new`, merged from all threads.
    #[allow(dead_code)]
    pub fn stats(&self) -> ::kiln::__private::ChainStats {
        self.__kiln_stats.snapshot()
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
        let __kiln_stats = {
            #[allow(unused_imports)]
            use ::kiln::__private::stats::{Ignore as _, Report as _};
            let mut __kiln_stats = ::kiln::__private::Stats::new(
                Self::__kiln_description(),
            );
            (&&::kiln::__private::stats::Probe(&keys))
                .__kiln_report("keys", &mut __kiln_stats);
            __kiln_stats
        };
        Self { keys, __kiln_stats }
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
            let __kiln_rec = self.__kiln_stats.recorder();
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
                            let __kiln_route_t = __kiln_rec.now();
                            '__kiln_route: {
                                '__kiln_inside_log: {
                                    {
                                        let __kiln_t = __kiln_rec.now();
                                        let __kiln_v = ::kiln::__private::send(
                                                auth(
                                                    ::kiln::__private::lend(&*__kiln_req),
                                                    ::kiln::__private::lend(&self.keys),
                                                ),
                                            )
                                            .await;
                                        __kiln_rec.record(2, __kiln_t);
                                        let __kiln_claims = match __kiln_v {
                                            ::core::result::Result::Ok(v) => v,
                                            ::core::result::Result::Err(__kiln_e) => {
                                                __kiln_rec.short(0, 2);
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
                                                    __kiln_rec.short(0, 3);
                                                    __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                                        __kiln_e,
                                                    );
                                                    break '__kiln_inside_log;
                                                }
                                            };
                                            let __kiln_t = __kiln_rec.now();
                                            let __kiln_v = audit(
                                                ::kiln::__private::lend(&__kiln_claims),
                                                ::kiln::__private::lend_mut(&mut __kiln_session),
                                            );
                                            __kiln_rec.record(3, __kiln_t);
                                            __kiln_v;
                                            {
                                                let __kiln_method = match ::kiln::__private::FromRequest::from_request(
                                                        &mut *__kiln_req,
                                                        __kiln_cx,
                                                    )
                                                    .await
                                                {
                                                    ::core::result::Result::Ok(v) => v,
                                                    ::core::result::Result::Err(__kiln_r) => {
                                                        __kiln_rec.short(0, 4);
                                                        __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                                            __kiln_r,
                                                        );
                                                        break '__kiln_inside_log;
                                                    }
                                                };
                                                __kiln_res = {
                                                    let __kiln_t = __kiln_rec.now();
                                                    let __kiln_r = {
                                                        let __kiln_out = me(
                                                            ::kiln::__private::lend(&__kiln_claims),
                                                            ::kiln::__private::lend(&__kiln_session),
                                                            __kiln_method,
                                                        );
                                                        ::kiln::__private::IntoResponse::into_response(__kiln_out)
                                                    };
                                                    __kiln_rec.record(4, __kiln_t);
                                                    __kiln_r
                                                };
                                            }
                                        }
                                    }
                                }
                                let __kiln_t = __kiln_rec.now();
                                log(::kiln::__private::lend_mut(&mut __kiln_res));
                                __kiln_rec.record(1, __kiln_t);
                            }
                            __kiln_rec.record(0, __kiln_route_t);
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
                            let __kiln_route_t = __kiln_rec.now();
                            '__kiln_route: {
                                '__kiln_inside_log: {
                                    {
                                        let __kiln_t = __kiln_rec.now();
                                        let __kiln_v = ::kiln::__private::send(
                                                auth(
                                                    ::kiln::__private::lend(&*__kiln_req),
                                                    ::kiln::__private::lend(&self.keys),
                                                ),
                                            )
                                            .await;
                                        __kiln_rec.record(7, __kiln_t);
                                        let __kiln_claims = match __kiln_v {
                                            ::core::result::Result::Ok(v) => v,
                                            ::core::result::Result::Err(__kiln_e) => {
                                                __kiln_rec.short(5, 7);
                                                __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                                    __kiln_e,
                                                );
                                                break '__kiln_inside_log;
                                            }
                                        };
                                        {
                                            __kiln_res = {
                                                let __kiln_t = __kiln_rec.now();
                                                let __kiln_r = {
                                                    let __kiln_out = health();
                                                    ::kiln::__private::IntoResponse::into_response(__kiln_out)
                                                };
                                                __kiln_rec.record(8, __kiln_t);
                                                __kiln_r
                                            };
                                        }
                                    }
                                }
                                let __kiln_t = __kiln_rec.now();
                                log(::kiln::__private::lend_mut(&mut __kiln_res));
                                __kiln_rec.record(6, __kiln_t);
                            }
                            __kiln_rec.record(5, __kiln_route_t);
                            __kiln_res
                        };
                    }
                    "GET, HEAD"
                }
                "/metrics" => {
                    if *__kiln_req.method() == ::kiln::__private::Method::GET
                        || *__kiln_req.method() == ::kiln::__private::Method::HEAD
                    {
                        let __kiln_cx = &::kiln::__private::RequestCx::new(
                            __kiln_info,
                            &::kiln::__private::PathParams::EMPTY,
                            ::core::option::Option::Some("/metrics"),
                        );
                        return {
                            let mut __kiln_res: ::kiln::__private::Response;
                            let __kiln_route_t = __kiln_rec.now();
                            '__kiln_route: {
                                '__kiln_inside_log: {
                                    {
                                        let __kiln_t = __kiln_rec.now();
                                        let __kiln_v = ::kiln::__private::send(
                                                auth(
                                                    ::kiln::__private::lend(&*__kiln_req),
                                                    ::kiln::__private::lend(&self.keys),
                                                ),
                                            )
                                            .await;
                                        __kiln_rec.record(11, __kiln_t);
                                        let __kiln_claims = match __kiln_v {
                                            ::core::result::Result::Ok(v) => v,
                                            ::core::result::Result::Err(__kiln_e) => {
                                                __kiln_rec.short(9, 11);
                                                __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                                    __kiln_e,
                                                );
                                                break '__kiln_inside_log;
                                            }
                                        };
                                        {
                                            __kiln_res = {
                                                let __kiln_t = __kiln_rec.now();
                                                let __kiln_r = {
                                                    let __kiln_out = metrics(&self.__kiln_stats);
                                                    ::kiln::__private::IntoResponse::into_response(__kiln_out)
                                                };
                                                __kiln_rec.record(12, __kiln_t);
                                                __kiln_r
                                            };
                                        }
                                    }
                                }
                                let __kiln_t = __kiln_rec.now();
                                log(::kiln::__private::lend_mut(&mut __kiln_res));
                                __kiln_rec.record(10, __kiln_t);
                            }
                            __kiln_rec.record(9, __kiln_route_t);
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
                let __kiln_route_t = __kiln_rec.now();
                '__kiln_route: {
                    '__kiln_inside_log: {
                        {
                            let __kiln_t = __kiln_rec.now();
                            let __kiln_v = ::kiln::__private::send(
                                    auth(
                                        ::kiln::__private::lend(&*__kiln_req),
                                        ::kiln::__private::lend(&self.keys),
                                    ),
                                )
                                .await;
                            __kiln_rec.record(15, __kiln_t);
                            let __kiln_claims = match __kiln_v {
                                ::core::result::Result::Ok(v) => v,
                                ::core::result::Result::Err(__kiln_e) => {
                                    __kiln_rec.short(13, 15);
                                    __kiln_res = ::kiln::__private::IntoResponse::into_response(
                                        __kiln_e,
                                    );
                                    break '__kiln_inside_log;
                                }
                            };
                            {
                                __kiln_res = {
                                    let __kiln_t = __kiln_rec.now();
                                    let __kiln_r = if __kiln_allow.is_empty() {
                                        ::kiln::__private::not_found()
                                    } else {
                                        ::kiln::__private::method_not_allowed(__kiln_allow)
                                    };
                                    __kiln_rec.record(16, __kiln_t);
                                    __kiln_r
                                };
                            }
                        }
                    }
                    let __kiln_t = __kiln_rec.now();
                    log(::kiln::__private::lend_mut(&mut __kiln_res));
                    __kiln_rec.record(14, __kiln_t);
                }
                __kiln_rec.record(13, __kiln_route_t);
                __kiln_res
            }
        }
    }
}
impl Api {
    fn __kiln_description() -> &'static ::kiln::__private::describe::Description {
        static __KILN_DESCRIPTION: ::kiln::__private::describe::Description = ::kiln::__private::describe::Description {
            app: "Api",
            stats: true,
            stats_slots: 17usize,
            singletons: &[
                ::kiln::__private::describe::Singleton {
                    field: "keys",
                    ty: "Keys",
                    built_by: ::core::option::Option::None,
                    needs: &[],
                },
            ],
            request: &[
                ::kiln::__private::describe::Provider {
                    name: "session",
                    provides: "Session",
                    is_async: true,
                    fallible: true,
                    finish: false,
                    used: true,
                    needs: &[
                        ::kiln::__private::describe::Need {
                            ty: "&Request",
                            from: ::kiln::__private::describe::Source::Request,
                        },
                    ],
                },
            ],
            transient: &[],
            routes: &[
                ::kiln::__private::describe::Route {
                    method: "GET",
                    pattern: ::core::option::Option::Some("/me"),
                    handler: ::core::option::Option::Some(::kiln::__private::describe::Handler {
                        name: "me",
                        is_async: false,
                        needs: &[
                            ::kiln::__private::describe::Need {
                                ty: "&Claims",
                                from: ::kiln::__private::describe::Source::Middleware(
                                    "auth",
                                ),
                            },
                            ::kiln::__private::describe::Need {
                                ty: "&Session",
                                from: ::kiln::__private::describe::Source::RequestScoped(
                                    "session",
                                ),
                            },
                            ::kiln::__private::describe::Need {
                                ty: "Method",
                                from: ::kiln::__private::describe::Source::Extractor,
                            },
                        ],
                    }),
                    middleware: &[
                        ::kiln::__private::describe::Step {
                            name: "log",
                            path: "log",
                            priority: 0i32,
                            declared_priority: 0i32,
                            phase: ::kiln::__private::describe::Phase::Post,
                            scope: ::kiln::__private::describe::Scope::Global,
                            is_async: false,
                            fallible: false,
                            needs: &[
                                ::kiln::__private::describe::Need {
                                    ty: "&mut Response",
                                    from: ::kiln::__private::describe::Source::Response,
                                },
                            ],
                            provides: ::core::option::Option::None,
                        },
                        ::kiln::__private::describe::Step {
                            name: "auth",
                            path: "auth",
                            priority: 20i32,
                            declared_priority: 20i32,
                            phase: ::kiln::__private::describe::Phase::Pre,
                            scope: ::kiln::__private::describe::Scope::Global,
                            is_async: true,
                            fallible: true,
                            needs: &[
                                ::kiln::__private::describe::Need {
                                    ty: "&Request",
                                    from: ::kiln::__private::describe::Source::Request,
                                },
                                ::kiln::__private::describe::Need {
                                    ty: "&Keys",
                                    from: ::kiln::__private::describe::Source::Singleton("keys"),
                                },
                            ],
                            provides: ::core::option::Option::Some("Claims"),
                        },
                        ::kiln::__private::describe::Step {
                            name: "audit",
                            path: "audit",
                            priority: 30i32,
                            declared_priority: 30i32,
                            phase: ::kiln::__private::describe::Phase::Pre,
                            scope: ::kiln::__private::describe::Scope::Route,
                            is_async: false,
                            fallible: false,
                            needs: &[
                                ::kiln::__private::describe::Need {
                                    ty: "&Claims",
                                    from: ::kiln::__private::describe::Source::Middleware(
                                        "auth",
                                    ),
                                },
                                ::kiln::__private::describe::Need {
                                    ty: "&mut Session",
                                    from: ::kiln::__private::describe::Source::RequestScoped(
                                        "session",
                                    ),
                                },
                            ],
                            provides: ::core::option::Option::None,
                        },
                    ],
                    request_scoped: &[
                        ::kiln::__private::describe::Scoped {
                            provider: "session",
                            before: 2usize,
                            finish: false,
                        },
                    ],
                    limits: "",
                    stats_slot: 0usize,
                },
                ::kiln::__private::describe::Route {
                    method: "GET",
                    pattern: ::core::option::Option::Some("/health"),
                    handler: ::core::option::Option::Some(::kiln::__private::describe::Handler {
                        name: "health",
                        is_async: false,
                        needs: &[],
                    }),
                    middleware: &[
                        ::kiln::__private::describe::Step {
                            name: "log",
                            path: "log",
                            priority: 0i32,
                            declared_priority: 0i32,
                            phase: ::kiln::__private::describe::Phase::Post,
                            scope: ::kiln::__private::describe::Scope::Global,
                            is_async: false,
                            fallible: false,
                            needs: &[
                                ::kiln::__private::describe::Need {
                                    ty: "&mut Response",
                                    from: ::kiln::__private::describe::Source::Response,
                                },
                            ],
                            provides: ::core::option::Option::None,
                        },
                        ::kiln::__private::describe::Step {
                            name: "auth",
                            path: "auth",
                            priority: 20i32,
                            declared_priority: 20i32,
                            phase: ::kiln::__private::describe::Phase::Pre,
                            scope: ::kiln::__private::describe::Scope::Global,
                            is_async: true,
                            fallible: true,
                            needs: &[
                                ::kiln::__private::describe::Need {
                                    ty: "&Request",
                                    from: ::kiln::__private::describe::Source::Request,
                                },
                                ::kiln::__private::describe::Need {
                                    ty: "&Keys",
                                    from: ::kiln::__private::describe::Source::Singleton("keys"),
                                },
                            ],
                            provides: ::core::option::Option::Some("Claims"),
                        },
                    ],
                    request_scoped: &[],
                    limits: "",
                    stats_slot: 5usize,
                },
                ::kiln::__private::describe::Route {
                    method: "GET",
                    pattern: ::core::option::Option::Some("/metrics"),
                    handler: ::core::option::Option::Some(::kiln::__private::describe::Handler {
                        name: "metrics",
                        is_async: false,
                        needs: &[
                            ::kiln::__private::describe::Need {
                                ty: "&Stats",
                                from: ::kiln::__private::describe::Source::Stats,
                            },
                        ],
                    }),
                    middleware: &[
                        ::kiln::__private::describe::Step {
                            name: "log",
                            path: "log",
                            priority: 0i32,
                            declared_priority: 0i32,
                            phase: ::kiln::__private::describe::Phase::Post,
                            scope: ::kiln::__private::describe::Scope::Global,
                            is_async: false,
                            fallible: false,
                            needs: &[
                                ::kiln::__private::describe::Need {
                                    ty: "&mut Response",
                                    from: ::kiln::__private::describe::Source::Response,
                                },
                            ],
                            provides: ::core::option::Option::None,
                        },
                        ::kiln::__private::describe::Step {
                            name: "auth",
                            path: "auth",
                            priority: 20i32,
                            declared_priority: 20i32,
                            phase: ::kiln::__private::describe::Phase::Pre,
                            scope: ::kiln::__private::describe::Scope::Global,
                            is_async: true,
                            fallible: true,
                            needs: &[
                                ::kiln::__private::describe::Need {
                                    ty: "&Request",
                                    from: ::kiln::__private::describe::Source::Request,
                                },
                                ::kiln::__private::describe::Need {
                                    ty: "&Keys",
                                    from: ::kiln::__private::describe::Source::Singleton("keys"),
                                },
                            ],
                            provides: ::core::option::Option::Some("Claims"),
                        },
                    ],
                    request_scoped: &[],
                    limits: "",
                    stats_slot: 9usize,
                },
            ],
            unmatched: ::kiln::__private::describe::Route {
                method: "*",
                pattern: ::core::option::Option::None,
                handler: ::core::option::Option::None,
                middleware: &[
                    ::kiln::__private::describe::Step {
                        name: "log",
                        path: "log",
                        priority: 0i32,
                        declared_priority: 0i32,
                        phase: ::kiln::__private::describe::Phase::Post,
                        scope: ::kiln::__private::describe::Scope::Global,
                        is_async: false,
                        fallible: false,
                        needs: &[
                            ::kiln::__private::describe::Need {
                                ty: "&mut Response",
                                from: ::kiln::__private::describe::Source::Response,
                            },
                        ],
                        provides: ::core::option::Option::None,
                    },
                    ::kiln::__private::describe::Step {
                        name: "auth",
                        path: "auth",
                        priority: 20i32,
                        declared_priority: 20i32,
                        phase: ::kiln::__private::describe::Phase::Pre,
                        scope: ::kiln::__private::describe::Scope::Global,
                        is_async: true,
                        fallible: true,
                        needs: &[
                            ::kiln::__private::describe::Need {
                                ty: "&Request",
                                from: ::kiln::__private::describe::Source::Request,
                            },
                            ::kiln::__private::describe::Need {
                                ty: "&Keys",
                                from: ::kiln::__private::describe::Source::Singleton("keys"),
                            },
                        ],
                        provides: ::core::option::Option::Some("Claims"),
                    },
                ],
                request_scoped: &[],
                limits: "",
                stats_slot: 13usize,
            },
        };
        &__KILN_DESCRIPTION
    }
}
