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
                            )
                            .with_limits({
                                const __KILN_LIMITS: &::kiln::__private::RouteLimits = &::kiln::__private::RouteLimits::__declare(
                                    2u16,
                                    4u16,
                                    ::core::option::Option::Some(64 * 1024),
                                    ::kiln::__private::RouteRate::Quota(Quota::per_minute(5)),
                                );
                                __KILN_LIMITS
                            });
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
                                            )
                                            .with_limits({
                                                const __KILN_LIMITS: &::kiln::__private::RouteLimits = &::kiln::__private::RouteLimits::__declare(
                                                    1u16,
                                                    4u16,
                                                    ::core::option::Option::None,
                                                    ::kiln::__private::RouteRate::Exempt,
                                                );
                                                __KILN_LIMITS
                                            });
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
impl App {
    fn __kiln_description() -> &'static ::kiln::__private::describe::Description {
        static __KILN_DESCRIPTION: ::kiln::__private::describe::Description = ::kiln::__private::describe::Description {
            app: "App",
            stats: false,
            stats_slots: 0usize,
            singletons: &[
                ::kiln::__private::describe::Singleton {
                    field: "db",
                    ty: "Db",
                    built_by: ::core::option::Option::None,
                    needs: &[],
                },
            ],
            request: &[
                ::kiln::__private::describe::Provider {
                    name: "tx",
                    provides: "Tx",
                    is_async: true,
                    fallible: true,
                    finish: false,
                    used: true,
                    needs: &[
                        ::kiln::__private::describe::Need {
                            ty: "&Db",
                            from: ::kiln::__private::describe::Source::Singleton("db"),
                        },
                    ],
                },
            ],
            transient: &[
                ::kiln::__private::describe::Provider {
                    name: "stamp",
                    provides: "Stamp",
                    is_async: false,
                    fallible: false,
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
            routes: &[
                ::kiln::__private::describe::Route {
                    method: "GET",
                    pattern: ::core::option::Option::Some("/users/{id}"),
                    handler: ::core::option::Option::Some(::kiln::__private::describe::Handler {
                        name: "user",
                        is_async: false,
                        needs: &[
                            ::kiln::__private::describe::Need {
                                ty: "Path<u32>",
                                from: ::kiln::__private::describe::Source::Extractor,
                            },
                            ::kiln::__private::describe::Need {
                                ty: "Stamp",
                                from: ::kiln::__private::describe::Source::Transient(
                                    "stamp",
                                ),
                            },
                        ],
                    }),
                    middleware: &[],
                    request_scoped: &[],
                    limits: "",
                    stats_slot: 0usize,
                },
                ::kiln::__private::describe::Route {
                    method: "GET",
                    pattern: ::core::option::Option::Some("/files/{*rest}"),
                    handler: ::core::option::Option::Some(::kiln::__private::describe::Handler {
                        name: "file",
                        is_async: false,
                        needs: &[
                            ::kiln::__private::describe::Need {
                                ty: "Path<String>",
                                from: ::kiln::__private::describe::Source::Extractor,
                            },
                        ],
                    }),
                    middleware: &[],
                    request_scoped: &[],
                    limits: "rate = exempt",
                    stats_slot: 0usize,
                },
                ::kiln::__private::describe::Route {
                    method: "POST",
                    pattern: ::core::option::Option::Some("/admin/items"),
                    handler: ::core::option::Option::Some(::kiln::__private::describe::Handler {
                        name: "create",
                        is_async: true,
                        needs: &[
                            ::kiln::__private::describe::Need {
                                ty: "&Admin",
                                from: ::kiln::__private::describe::Source::Middleware(
                                    "admin",
                                ),
                            },
                            ::kiln::__private::describe::Need {
                                ty: "&mut Tx",
                                from: ::kiln::__private::describe::Source::RequestScoped(
                                    "tx",
                                ),
                            },
                            ::kiln::__private::describe::Need {
                                ty: "Json<New>",
                                from: ::kiln::__private::describe::Source::Extractor,
                            },
                        ],
                    }),
                    middleware: &[
                        ::kiln::__private::describe::Step {
                            name: "admin",
                            path: "admin",
                            priority: 5i32,
                            declared_priority: 5i32,
                            phase: ::kiln::__private::describe::Phase::Pre,
                            scope: ::kiln::__private::describe::Scope::Route,
                            is_async: false,
                            fallible: true,
                            needs: &[
                                ::kiln::__private::describe::Need {
                                    ty: "&Request",
                                    from: ::kiln::__private::describe::Source::Request,
                                },
                            ],
                            provides: ::core::option::Option::Some("Admin"),
                        },
                        ::kiln::__private::describe::Step {
                            name: "no_store",
                            path: "no_store",
                            priority: 90i32,
                            declared_priority: 90i32,
                            phase: ::kiln::__private::describe::Phase::Post,
                            scope: ::kiln::__private::describe::Scope::Route,
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
                    ],
                    request_scoped: &[
                        ::kiln::__private::describe::Scoped {
                            provider: "tx",
                            before: 2usize,
                            finish: false,
                        },
                    ],
                    limits: "body = 64*1024, rate = Quota::per_minute(5)",
                    stats_slot: 0usize,
                },
                ::kiln::__private::describe::Route {
                    method: "PUT",
                    pattern: ::core::option::Option::Some("/items"),
                    handler: ::core::option::Option::Some(::kiln::__private::describe::Handler {
                        name: "create",
                        is_async: true,
                        needs: &[
                            ::kiln::__private::describe::Need {
                                ty: "&Admin",
                                from: ::kiln::__private::describe::Source::Middleware(
                                    "admin",
                                ),
                            },
                            ::kiln::__private::describe::Need {
                                ty: "&mut Tx",
                                from: ::kiln::__private::describe::Source::RequestScoped(
                                    "tx",
                                ),
                            },
                            ::kiln::__private::describe::Need {
                                ty: "Json<New>",
                                from: ::kiln::__private::describe::Source::Extractor,
                            },
                        ],
                    }),
                    middleware: &[
                        ::kiln::__private::describe::Step {
                            name: "admin",
                            path: "admin",
                            priority: 5i32,
                            declared_priority: 5i32,
                            phase: ::kiln::__private::describe::Phase::Pre,
                            scope: ::kiln::__private::describe::Scope::Route,
                            is_async: false,
                            fallible: true,
                            needs: &[
                                ::kiln::__private::describe::Need {
                                    ty: "&Request",
                                    from: ::kiln::__private::describe::Source::Request,
                                },
                            ],
                            provides: ::core::option::Option::Some("Admin"),
                        },
                        ::kiln::__private::describe::Step {
                            name: "no_store",
                            path: "no_store",
                            priority: 90i32,
                            declared_priority: 90i32,
                            phase: ::kiln::__private::describe::Phase::Post,
                            scope: ::kiln::__private::describe::Scope::Route,
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
                    ],
                    request_scoped: &[
                        ::kiln::__private::describe::Scoped {
                            provider: "tx",
                            before: 2usize,
                            finish: false,
                        },
                    ],
                    limits: "",
                    stats_slot: 0usize,
                },
            ],
            unmatched: ::kiln::__private::describe::Route {
                method: "*",
                pattern: ::core::option::Option::None,
                handler: ::core::option::Option::None,
                middleware: &[],
                request_scoped: &[],
                limits: "",
                stats_slot: 0usize,
            },
        };
        &__KILN_DESCRIPTION
    }
}
