/**
 * The Cairn API's paths, parameters, bodies and answers, generated from its OpenAPI
 * document by packages/cairn/scripts/generate-api-types.ts. Do not edit: run
 * `npm run generate:api-types` instead.
 */

export interface paths {
    "/execution/{job_id}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A Kabuto job's log lines: [{id, job, logline}] */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    job_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/execution/{job_id}/logs/{log_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A Kabuto job's log lines after that id, for polling */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    job_id: string;
                    log_id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/image": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Build an image outside a pipeline (kabuto-api.txt); answers the build id at once
         * @description A JSON or form body, or multipart/form-data as kabuto sends it: name, dockerfile (a field or a file), repo_url and nocache as fields, and attachments as file parts whose file names (with folders) are their paths in the build context. Uploads larger than CAIRN_MAX_UPLOAD_BYTES get 413.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        attachments?: {
                            [key: string]: string;
                        } | string;
                        dockerfile?: string;
                        name: string;
                        nocache?: boolean | ("true" | "false");
                        /** Format: uri */
                        repo_url?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/image/{image_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An image built with POST /image */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    image_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/image/build/{build_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The state of a build: PENDING, SUCCESS, FAILED or FAILURE */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    build_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Log in; sets the session cookie and returns the token */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        login: string;
                        password: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke the token used and clear the session cookie */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            /** @enum {string|null} */
                            result: null;
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/pipeline": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a Kabuto pipeline in the caller's own group (kabuto-api.txt); answers its id */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/pipeline/{pipeline_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A Kabuto pipeline and its jobs */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/pipeline/{pipeline_id}/job": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add a job to a Kabuto pipeline: command, image_id and files as attachments (kabuto-api.txt); answers its id
         * @description A JSON or form body with command and image_id, or multipart/form-data as kabuto sends it: command and image_id as fields, and attachments as file parts, each file's name its path under the job's /inbox. Uploads larger than CAIRN_MAX_UPLOAD_BYTES get 413.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        command: string;
                        image_id: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/pipeline/{pipeline_id}/job/{job_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A Kabuto job with its state and usage; with ?result, a zip of what it wrote to /outbox */
        get: {
            parameters: {
                query?: {
                    result?: string;
                };
                header?: never;
                path: {
                    job_id: string;
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/pipeline/{pipeline_id}/submit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run the jobs added since the last submit, first in, first out; answers {JOB_ID: state} */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Register a user; the answer's token confirms the address. With a server admin's token, the account is made confirmed */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: email */
                        email: string;
                        login: string;
                        password: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/register/confirm/{login}/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Confirm a registration with the token it returned */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    login: string;
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/oauth2/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Tapis' token call: a password grant returns result.access_token.access_token */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        grant_type: "password";
                        password: string;
                        username: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                access_token: {
                                    access_token: string;
                                    expires_at: string;
                                    expires_in: number;
                                    jti: string | null;
                                };
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An index of the API: its version and the paths to start from */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["ApiIndex"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/engine": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The container engine that builds and runs images (name, version, architecture), and the live worker processes: role, free and used slots, heartbeat age */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                api_version: string;
                                arch: string;
                                lease_seconds: number;
                                name: string;
                                os: string;
                                version: string;
                                workers: components["schemas"]["Worker"][];
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The groups the caller is a member of */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                id: string;
                                max_parallel_tasks: number | null;
                                owner: string;
                                tenant_id: string;
                                users: {
                                    group: string;
                                    is_admin: boolean;
                                    username: string;
                                    uuid: string;
                                }[];
                                uuid: string;
                            }[];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create a group; the caller becomes its owner */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        id: string;
                        /** @default [] */
                        users?: {
                            /** @default false */
                            is_admin?: boolean;
                            username: string;
                        }[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                id: string;
                                max_parallel_tasks: number | null;
                                owner: string;
                                tenant_id: string;
                                users: {
                                    group: string;
                                    is_admin: boolean;
                                    username: string;
                                    uuid: string;
                                }[];
                                uuid: string;
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                id: string;
                                max_parallel_tasks: number | null;
                                owner: string;
                                tenant_id: string;
                                users: {
                                    group: string;
                                    is_admin: boolean;
                                    username: string;
                                    uuid: string;
                                }[];
                                uuid: string;
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a group and everything it owns (owner only) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Change a group's settings (admins): max_parallel_tasks caps the running tasks of all its runs at once */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        max_parallel_tasks: number | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                id: string;
                                max_parallel_tasks: number | null;
                                owner: string;
                                tenant_id: string;
                                users: {
                                    group: string;
                                    is_admin: boolean;
                                    username: string;
                                    uuid: string;
                                }[];
                                uuid: string;
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/actors": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Actor"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create an actor (any member) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        command?: string[];
                        /** @default {} */
                        default_environment?: {
                            [key: string]: string;
                        };
                        description?: string;
                        id: string;
                        image: string;
                        /** @default 1 */
                        max_workers?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Actor"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/actors/{actor_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    actor_id: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Actor"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        /** Change an actor (its owner or a group admin); running executions keep what they started with */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    actor_id: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        command?: string[];
                        /** @default {} */
                        default_environment?: {
                            [key: string]: string;
                        };
                        description?: string;
                        id?: string;
                        image: string;
                        /** @default 1 */
                        max_workers?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Actor"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        post?: never;
        /** Delete an actor with no queued or running message (its owner or a group admin) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    actor_id: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/actors/{actor_id}/executions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    actor_id: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["ActorExecution"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/actors/{actor_id}/executions/{execution_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    actor_id: string;
                    execution_id: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["ActorExecution"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/actors/{actor_id}/executions/{execution_id}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the execution's container printed so far (stdout and stderr) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    actor_id: string;
                    execution_id: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                execution_id: string;
                                logs: string;
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/actors/{actor_id}/executions/{execution_id}/result": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the execution wrote to /cairn/outputs/result, as bytes */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    actor_id: string;
                    execution_id: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/actors/{actor_id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a message: it runs after the actor's earlier ones, as MSG in a new container */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    actor_id: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        message: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                execution_id: string;
                                msg: string;
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/apps": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List every version of every app */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["App"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create a version of an app (admins) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @default [] */
                        command?: string[];
                        container_image?: string;
                        description?: string;
                        id: string;
                        /** @default {} */
                        job_attributes?: {
                            cores_per_node?: number;
                            exec_system_id?: string;
                            file_inputs?: {
                                source_url: string;
                                target_path: string;
                            }[];
                            max_minutes?: number;
                            memory_mb?: number;
                            node_count?: number;
                            parameter_set?: {
                                app_args?: {
                                    arg: string;
                                }[];
                                env_variables?: {
                                    key: string;
                                    value: string;
                                }[];
                                scheduler_options?: {
                                    arg: string;
                                }[];
                            };
                        };
                        /**
                         * @default BATCH
                         * @enum {string}
                         */
                        job_type?: "BATCH";
                        version: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["App"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/apps/{app_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The latest version of an app */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    app_id: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["App"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/apps/{app_id}/versions/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One version of an app */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    app_id: string;
                    group_id: string;
                    version: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["App"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a version no run used (admins) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    app_id: string;
                    group_id: string;
                    version: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/archives": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Archive"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create an archive on one of the group's systems, checking it can be written (admins) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        archive_dir: string;
                        description?: string;
                        id: string;
                        system_id: string;
                        /** @enum {string} */
                        type: "system";
                    } | {
                        /** @default  */
                        archive_dir?: string;
                        bucket?: string;
                        credentials?: {
                            access_key: string;
                            access_secret: string;
                        };
                        description?: string;
                        endpoint?: string;
                        id: string;
                        /** Format: uuid */
                        identity_uuid?: string;
                        region?: string;
                        system_id?: string;
                        /** @enum {string} */
                        type: "S3";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Archive"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/archives/{archive_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    archive_id: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Archive"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete an archive; what it holds stays on its system (admins) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    archive_id: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/images": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The group's image catalog, newest first */
        get: {
            parameters: {
                query?: {
                    bad?: "true";
                    commit?: string;
                    git_url?: string;
                    limit?: number;
                    name?: string;
                };
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Image"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/images/{digest}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One image of the catalog, with the task executions that used it */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    digest: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                architecture: string | null;
                                bad: {
                                    marked_at: string;
                                    marked_by: string;
                                    reason: string;
                                } | null;
                                builder: string | null;
                                created_at: string;
                                digest: string;
                                engine: string | null;
                                names: string[];
                                /** @enum {string} */
                                origin: "built" | "pulled" | "loaded" | "seen";
                                os: string | null;
                                owned: boolean;
                                recipe: {
                                    branch: string | null;
                                    build_args: {
                                        [key: string]: string;
                                    };
                                    commit: string | null;
                                    dockerfile: string | null;
                                    dockerfile_sha256: string | null;
                                    git_url: string | null;
                                    pulled_from: string | null;
                                    /** @enum {string} */
                                    source: "git" | "mercurial" | "inline" | "pull";
                                    sub_path: string | null;
                                } | null;
                                recorded_at: string;
                                run_uuid: string | null;
                                size: number | null;
                                task_id: string | null;
                                uses: {
                                    attempt: number;
                                    execution_uuid: string;
                                    pipeline_id: string;
                                    run_status: string;
                                    run_uuid: string;
                                    started_at: string | null;
                                    status: string;
                                    task_id: string;
                                }[];
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/images/{digest}/bad": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mark an image bad; answers the runs and executions it was used in */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    digest: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                image: components["schemas"]["Image"];
                                uses: {
                                    attempt: number;
                                    execution_uuid: string;
                                    pipeline_id: string;
                                    run_status: string;
                                    run_uuid: string;
                                    started_at: string | null;
                                    status: string;
                                    task_id: string;
                                }[];
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/images/{digest}/rerun": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run again every run that used the image, with a replacement image or rebuilding from the latest commit; the new runs supersede the old */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    digest: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        image: string;
                    } | {
                        /** @enum {boolean} */
                        rebuild: true;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                changes: string[];
                                run: components["schemas"]["Run"];
                                supersedes: string;
                            }[];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/images/{digest}/shares": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The groups this group's image is shared with */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    digest: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["ImageShare"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Share an image this group built or pulled with another group (admins): that group's tasks may then run it */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    digest: string;
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        group_id: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["ImageShare"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/images/{digest}/shares/{shared_with}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Stop sharing an image with a group (admins): that group's tasks can no longer start with it */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    digest: string;
                    group_id: string;
                    shared_with: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            /** @enum {string|null} */
                            result: null;
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/images/resolve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The image a spec names: a digest, or repository:tag (the newest such image) */
        get: {
            parameters: {
                query: {
                    ref: string;
                };
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Image"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/images/shared": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Images other groups shared with this group, newest share first: its tasks may run them by name or digest */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                digest: string;
                                group_id: string;
                                image: components["schemas"]["Image"] | null;
                                shared_at: string;
                                shared_by: string;
                                shared_with: string;
                            }[];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Pipeline"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create a pipeline */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Pipeline"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Pipeline"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        /** Replace a pipeline's definition (its owner or a group admin) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Pipeline"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        post?: never;
        /** Delete a pipeline (its owner only) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start a run of the pipeline, with optional params and directives
         * @description A JSON body, or multipart/form-data with the same fields as form fields (params and directives as JSON) and files: a file part named task:TASK_ID goes to that task's /inbox only, any other file part to every task's. The file's name, with folders, is its path under /inbox. Uploads larger than CAIRN_MAX_UPLOAD_BYTES get 413.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        commit_message?: string;
                        directives?: string[] | {
                            [key: string]: (string | boolean) | null;
                        };
                        /** @default {} */
                        params?: {
                            [key: string]: string | number | boolean | {
                                value: string | number | boolean;
                            };
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Run"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    offset?: number;
                    since?: string;
                    status?: "pending" | "queued" | "running" | "succeeded" | "failed" | "cancelled";
                    trigger?: "api" | "cli" | "webhook" | "schedule" | "rerun" | "retry";
                };
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Run"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    run_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Run"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/archives": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** How archiving the run went, per archive of its pipeline */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    run_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["RunArchive"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a run: running tasks are stopped, nothing new starts */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    run_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Run"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/executions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    run_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Execution"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/executions/{execution_uuid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    execution_uuid: string;
                    group_id: string;
                    pipeline_id: string;
                    run_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Execution"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/executions/{execution_uuid}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A task execution's log: text, incremental JSON with ?since=ID, or live with Accept: text/event-stream */
        get: {
            parameters: {
                query?: {
                    since?: number;
                };
                header?: never;
                path: {
                    execution_uuid: string;
                    group_id: string;
                    pipeline_id: string;
                    run_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The log as text; with ?since=ID as JSON; with Accept: text/event-stream as `line` events then an `end` event */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                complete: boolean;
                                lines: components["schemas"]["LogLine"][];
                                since: number;
                            };
                            status: number;
                            success: boolean;
                        };
                        "text/event-stream": string;
                        "text/plain": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/executions/{execution_uuid}/results": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One task execution's outputs, logs and /outbox results as a zip */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    execution_uuid: string;
                    group_id: string;
                    pipeline_id: string;
                    run_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/provenance": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** For each task of a run: its latest execution, outputs, the exact image it ran or built, and that image's recipe and commit */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    run_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["RunProvenance"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/rerun": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a new run of the same frozen pipeline with the same params and directives */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    run_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Run"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/results": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A run's outputs, logs and /outbox results as a zip */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    run_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Retry from failure: a new run of the same frozen pipeline and params that reuses the tasks that succeeded and runs the others again
         * @description The tasks that succeeded in the run are recorded as succeeded with reused_from naming their execution there, with its outputs and results; the new run's retry_of names the run. 409 while the run has not ended, or when it succeeded.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    run_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Run"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The pipeline's schedules, each with its next five fires */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Schedule"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Start the pipeline on a cron schedule, as the caller */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @default false */
                        catch_up?: boolean;
                        cron: string;
                        /** @default true */
                        enabled?: boolean;
                        /** @default {} */
                        params?: {
                            [key: string]: string | number | boolean;
                        };
                        /** @default UTC */
                        timezone?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Schedule"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/schedules/{schedule_uuid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A schedule with its next five fires and its last outcome */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    schedule_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Schedule"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Remove a schedule (its creator or a group admin) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    schedule_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Change a schedule (its creator only: its runs are theirs) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    schedule_uuid: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        catch_up?: boolean;
                        cron?: string;
                        enabled?: boolean;
                        params?: {
                            [key: string]: string | number | boolean;
                        };
                        timezone?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Schedule"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/tasks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /** Add a task (the pipeline's owner or a group admin) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/tasks/{task_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    task_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        /** Replace a task (the pipeline's owner or a group admin) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    task_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        /** Delete a task (the pipeline's owner or a group admin) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    task_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The pipeline's webhooks, without their secrets */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Webhook"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Make a webhook that starts the pipeline on a git push (the pipeline's owner or a group admin); the secret is shown once */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @default [] */
                        branches?: string[];
                        /**
                         * @default [
                         *       "push"
                         *     ]
                         */
                        events?: ("push" | "tag_push")[];
                        secret?: string;
                        /** @enum {string} */
                        type: "github" | "gitlab" | "gitea" | "generic";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                branches: string[];
                                created_at: string;
                                created_by: string;
                                events: string[];
                                secret: string;
                                type: string;
                                url: string;
                                uuid: string;
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/webhooks/{webhook_uuid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a webhook (the pipeline's owner or a group admin) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    webhook_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/webhooks/{webhook_uuid}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The webhook's last 100 deliveries, newest first: their answer, its reason and the run each started */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    pipeline_id: string;
                    webhook_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["WebhookDelivery"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/secrets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The group's secret names (no values) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/secrets/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Create or replace a group secret (admins) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        allowed_pipelines?: string[];
                        value: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        /** Delete a group secret (admins) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Change which pipelines may read a group secret (admins) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        allowed_pipelines: string[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/systems": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["System"][];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create a system archives can write to (admins) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        description?: string;
                        id: string;
                        root_dir: string;
                        /** @enum {string} */
                        type: "local";
                    } | {
                        description?: string;
                        host: string;
                        host_key?: string;
                        id: string;
                        /** Format: uuid */
                        identity_uuid: string;
                        /** @default 22 */
                        port?: number;
                        root_dir: string;
                        /** @enum {string} */
                        type: "ssh";
                    } | {
                        /**
                         * @default none
                         * @enum {string}
                         */
                        container_runtime?: "podman" | "none";
                        description?: string;
                        host: string;
                        host_key?: string;
                        id: string;
                        /** Format: uuid */
                        identity_uuid?: string;
                        partition?: string;
                        /** @default 22 */
                        port?: number;
                        root_dir: string;
                        /** @default [] */
                        scheduler_options?: string[];
                        /** @enum {string} */
                        type: "slurm";
                    } | {
                        bucket: string;
                        description?: string;
                        endpoint: string;
                        id: string;
                        /** Format: uuid */
                        identity_uuid: string;
                        /** @default us-east-1 */
                        region?: string;
                        /** @default  */
                        root_dir?: string;
                        /** @enum {string} */
                        type: "s3";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["System"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/systems/{system_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    system_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["System"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a system no archive uses (admins) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    system_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                group: string;
                                is_admin: boolean;
                                username: string;
                                uuid: string;
                            }[];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Add a user (admins; only the owner adds admins) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @default false */
                        is_admin?: boolean;
                        username: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                group: string;
                                is_admin: boolean;
                                username: string;
                                uuid: string;
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/groups/{group_id}/users/{username}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    username: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                group: string;
                                is_admin: boolean;
                                username: string;
                                uuid: string;
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Remove a user (admins; only the owner removes admins) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    username: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Make a user an admin or not (owner only) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                    username: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        is_admin: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                group: string;
                                is_admin: boolean;
                                username: string;
                                uuid: string;
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/v3/workflows/identities": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's identities, without credentials */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /** Store credentials for a git host, a registry, an SSH login or S3 access keys (never returned again) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        credentials: {
                            personal_access_token: string;
                            username: string;
                        };
                        description?: string;
                        name: string;
                        /** @enum {string} */
                        type: "github";
                    } | {
                        credentials: {
                            token: string;
                            username: string;
                        };
                        description?: string;
                        host?: string;
                        name: string;
                        /** @enum {string} */
                        type: "gitlab";
                    } | {
                        credentials: {
                            token: string;
                            username: string;
                        };
                        description?: string;
                        host: string;
                        name: string;
                        /** @enum {string} */
                        type: "gitea";
                    } | {
                        credentials: {
                            token: string;
                            username: string;
                        };
                        description?: string;
                        name: string;
                        /** @enum {string} */
                        type: "dockerhub";
                    } | {
                        credentials: {
                            token: string;
                            username: string;
                        } | {
                            password: string;
                            username: string;
                        };
                        description?: string;
                        host: string;
                        name: string;
                        /** @enum {string} */
                        type: "git";
                    } | {
                        credentials: {
                            token: string;
                            username: string;
                        } | {
                            password: string;
                            username: string;
                        };
                        description?: string;
                        host: string;
                        name: string;
                        /** @enum {string} */
                        type: "registry";
                    } | {
                        credentials: {
                            private_key: string;
                            username: string;
                        } | {
                            password: string;
                            username: string;
                        };
                        description?: string;
                        name: string;
                        /** @enum {string} */
                        type: "ssh";
                    } | {
                        credentials: {
                            access_key_id: string;
                            secret_access_key: string;
                        };
                        description?: string;
                        name: string;
                        /** @enum {string} */
                        type: "s3";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/identities/{identity_uuid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    identity_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                created_at: string;
                                description: string | null;
                                host: string | null;
                                name: string;
                                owner: string;
                                type: string;
                                uuid: string;
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    identity_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/runs/{run_uuid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A run found by its uuid alone, with its group and pipeline ids (a Cairn extension, for clients that know only the uuid)
         * @description The uuid, or a unique prefix of it of at least 8 characters (like git's short hashes); an ambiguous prefix gets 400 naming the runs it matches.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    run_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: components["schemas"]["Run"];
                            status: number;
                            success: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v3/workflows/webhooks/{webhook_uuid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Where a git host delivers a webhook's events: no token, the signature made with the webhook's secret authenticates
         * @description GitHub's X-Hub-Signature-256, Gitea's X-Gitea-Signature, GitLab's X-Gitlab-Token, or X-Cairn-Signature-256 (sha256=<hex HMAC-SHA256 of the body>) for a generic webhook. 201: a run started; 200: a ping, or a delivery id seen before (the answer names its run); 202: nothing to do (another branch or event); 401: a missing or bad signature; 403: the pusher maps to no member; 413: a body over 1 MiB.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    webhook_uuid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "2XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message: string;
                            result: {
                                run_uuid: string | null;
                            };
                            status: number;
                            success: boolean;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Actor: {
            command: string[] | null;
            created_at: string;
            default_environment: {
                [key: string]: string;
            };
            description: string | null;
            id: string;
            image: string;
            max_workers: number;
            owner: string;
            updated_at: string;
            uuid: string;
        };
        ActorExecution: {
            actor_id: string;
            ended_at: string | null;
            error: string | null;
            exit_code: number | null;
            id: string;
            message_received_at: string;
            started_at: string | null;
            /** @enum {string} */
            status: "SUBMITTED" | "RUNNING" | "COMPLETED" | "ERROR";
            task_execution_uuid: string | null;
        };
        ApiIndex: {
            links: {
                [key: string]: string;
            };
            name: string;
            version: string;
        };
        App: {
            command: string[];
            container_image: string | null;
            created_at: string;
            description: string | null;
            id: string;
            job_attributes: {
                cores_per_node: number | null;
                exec_system_id: string | null;
                file_inputs: {
                    source_url: string;
                    target_path: string;
                }[];
                max_minutes: number | null;
                memory_mb: number | null;
                node_count: number | null;
                parameter_set: {
                    app_args: {
                        arg: string;
                    }[];
                    env_variables: {
                        key: string;
                        value: string;
                    }[];
                    scheduler_options: {
                        arg: string;
                    }[];
                };
            };
            /** @enum {string} */
            job_type: "BATCH";
            owner: string;
            used_at: string | null;
            uuid: string;
            version: string;
        };
        Archive: {
            archive_dir: string;
            bucket: string | null;
            created_at: string;
            endpoint: string | null;
            id: string;
            identity_uuid: string | null;
            owner: string;
            region: string | null;
            system_id: string | null;
            /** @enum {string} */
            type: "system" | "S3";
            uuid: string;
        };
        Error: {
            message: string;
            request_id?: string;
            result: {
                code: string;
                issues?: {
                    message: string;
                    path: string;
                }[];
            } | null;
            status: number;
            /** @enum {boolean} */
            success: false;
        };
        Execution: {
            attempt: number;
            cached_from: string | null;
            created_at: string;
            ended_at: string | null;
            exit_code: number | null;
            image_digest: string | null;
            message: string | null;
            outputs: {
                [key: string]: string;
            };
            reused_from: string | null;
            run: string;
            started_at: string | null;
            /** @enum {string} */
            status: "queued" | "running" | "succeeded" | "failed" | "skipped" | "cancelled" | "timed_out";
            task_id: string;
            used_cpu: number | null;
            used_io: number | null;
            used_io_read: number | null;
            used_io_written: number | null;
            used_memory: number | null;
            uuid: string;
            worker: string | null;
        };
        Image: {
            architecture: string | null;
            bad: {
                marked_at: string;
                marked_by: string;
                reason: string;
            } | null;
            builder: string | null;
            created_at: string;
            digest: string;
            engine: string | null;
            names: string[];
            /** @enum {string} */
            origin: "built" | "pulled" | "loaded" | "seen";
            os: string | null;
            owned: boolean;
            recipe: {
                branch: string | null;
                build_args: {
                    [key: string]: string;
                };
                commit: string | null;
                dockerfile: string | null;
                dockerfile_sha256: string | null;
                git_url: string | null;
                pulled_from: string | null;
                /** @enum {string} */
                source: "git" | "mercurial" | "inline" | "pull";
                sub_path: string | null;
            } | null;
            recorded_at: string;
            run_uuid: string | null;
            size: number | null;
            task_id: string | null;
        };
        ImageInput: {
            architecture: string | null;
            bad: {
                marked_at: string;
                marked_by: string;
                reason: string;
            } | null;
            builder: string | null;
            created_at: string;
            digest: string;
            engine: string | null;
            names: string[];
            /** @enum {string} */
            origin: "built" | "pulled" | "loaded" | "seen";
            os: string | null;
            owned: boolean;
            recipe: {
                branch: string | null;
                build_args: {
                    [key: string]: string;
                };
                commit: string | null;
                dockerfile: string | null;
                dockerfile_sha256: string | null;
                git_url: string | null;
                pulled_from: string | null;
                /** @enum {string} */
                source: "git" | "mercurial" | "inline" | "pull";
                sub_path: string | null;
            } | null;
            recorded_at: string;
            run_uuid: string | null;
            size: number | null;
            task_id: string | null;
        };
        ImageShare: {
            digest: string;
            group_id: string;
            shared_at: string;
            shared_by: string;
            shared_with: string;
        };
        LogLine: {
            id: number;
            line: string;
            /** @enum {string} */
            stream: "stdout" | "stderr" | "system";
            ts: string;
        };
        Pipeline: {
            created_at: string;
            current_run: string | null;
            group: string;
            id: string;
            last_run: string | null;
            owner: string;
            tasks: {
                [key: string]: unknown;
            }[];
            updated_at: string;
            uuid: string;
        } & {
            [key: string]: unknown;
        };
        Run: {
            created_at: string;
            directives: {
                [key: string]: string | true;
            };
            ended_at: string | null;
            group: string;
            group_id: string;
            message: string | null;
            params: {
                [key: string]: string;
            };
            pipeline_id: string;
            retry_of: string | null;
            started_at: string | null;
            started_by: string | null;
            /** @enum {string} */
            status: "pending" | "queued" | "running" | "succeeded" | "failed" | "cancelled";
            /** @enum {string|null} */
            trigger: "api" | "cli" | "webhook" | "schedule" | "rerun" | "retry" | null;
            uuid: string;
        };
        RunArchive: {
            archive_id: string;
            attempts: number;
            location: string | null;
            message: string | null;
            /** @enum {string} */
            status: "pending" | "done" | "failed";
            updated_at: string;
        };
        RunInput: {
            created_at: string;
            directives: {
                [key: string]: string | true;
            };
            ended_at: string | null;
            group: string;
            group_id: string;
            message: string | null;
            params: {
                [key: string]: string;
            };
            pipeline_id: string;
            retry_of: string | null;
            started_at: string | null;
            started_by: string | null;
            /** @enum {string} */
            status: "pending" | "queued" | "running" | "succeeded" | "failed" | "cancelled";
            /** @enum {string|null} */
            trigger: "api" | "cli" | "webhook" | "schedule" | "rerun" | "retry" | null;
            uuid: string;
        };
        RunProvenance: {
            run: components["schemas"]["Run"];
            superseded_by: string[];
            supersedes: string[];
            tasks: {
                execution_uuid: string | null;
                image: components["schemas"]["Image"] | null;
                image_digest: string | null;
                outputs: {
                    [key: string]: string;
                };
                status: string | null;
                task_id: string;
            }[];
        };
        Schedule: {
            catch_up: boolean;
            created_at: string;
            created_by: string;
            cron: string;
            enabled: boolean;
            last_fired_at: string | null;
            last_outcome: string | null;
            last_run_uuid: string | null;
            next_fire_times: string[];
            params: {
                [key: string]: string;
            };
            timezone: string;
            updated_at: string;
            uuid: string;
        };
        System: {
            bucket: string | null;
            /** @enum {string|null} */
            container_runtime: "podman" | "none" | null;
            created_at: string;
            description: string | null;
            endpoint: string | null;
            host: string | null;
            host_key: string | null;
            id: string;
            identity_uuid: string | null;
            owner: string;
            partition: string | null;
            port: number | null;
            region: string | null;
            root_dir: string;
            scheduler_options: string[] | null;
            /** @enum {string} */
            type: "local" | "ssh" | "s3" | "slurm";
            uuid: string;
        };
        Webhook: {
            branches: string[];
            created_at: string;
            created_by: string;
            events: string[];
            type: string;
            url: string;
            uuid: string;
        };
        WebhookDelivery: {
            delivery_id: string | null;
            event: string | null;
            reason: string;
            received_at: string;
            run_uuid: string | null;
            status: number;
        };
        Worker: {
            heartbeat_age_ms: number;
            id: string;
            /** @enum {string} */
            role: "api" | "worker" | "all";
            slots_free: number;
            slots_total: number;
            slots_used: number;
            started: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
