import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { ActorService } from "../actors/actor-service.js";
import type { SystemConnector } from "../archives/system-connector.js";
import type { CairnConfig } from "../config.js";
import type { SlurmConnector } from "../runtimes/slurm/slurm-connector.js";
import type { Engine } from "../engine/engine.js";
import type { ImageEngine } from "../images/image-engine.js";
import type { TokenClaims } from "../auth/tokens.js";
import type { TokenStanding } from "../store/service-store.js";
import type { Store } from "../store/store.js";
import type { Principal } from "./principal.js";
import type { RunActors } from "./run-token-actor.js";

/** The Fastify instance the routes are registered on: requests and replies typed from zod schemas. */
export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** Encrypts values bound to the row they belong to (AES-256-GCM; see secrets/sealed-box.ts). */
export interface Sealer {
  seal(plaintext: string, boundTo: string): string;
  open(sealed: string, boundTo: string): string;
}

/** Issues and checks the API's bearer tokens. */
export interface TokenService {
  issueSession(login: string): Promise<{ token: string; expiresAt: number }>;
  /** A token for the run's tasks: see SignedTokenService.issueRunToken. */
  issueRunToken(run: RunActors & { uuid: string; startedBy: string }): Promise<{ token: string; expiresAt: number }>;
  /** The caller the token names; throws `unauthenticated` for a bad, expired or revoked token. */
  authenticate(token: string): Promise<Principal>;
  /** authenticate in two steps, for a caller that reads the token's standing with other rows: the signature and expiry... */
  verify(token: string): Readonly<TokenClaims>;
  /** ...then the caller the claims name, given what the database says of the token; throws as authenticate does. */
  admit(claims: Readonly<TokenClaims>, standing: TokenStanding): Principal;
  revoke(principal: Principal): Promise<void>;
}

export interface PasswordHasher {
  /** `background`: at the lowest CPU priority, for work that may wait (auth/password-hash.ts). */
  hash(password: string, options?: { background?: boolean }): Promise<string>;
  verify(password: string, hash: string, options?: { background?: boolean }): Promise<boolean>;
}

/** Everything the routes use, built once by the server. */
export interface ApiContext {
  config: CairnConfig;
  store: Store;
  engine: Engine;
  /** Queues and runs actors' messages (the actors routes). */
  actors: ActorService;
  sealer: Sealer;
  tokens: TokenService;
  passwords: PasswordHasher;
  /** Opens folders on the groups' systems: the write check when an archive is created. */
  systems: SystemConnector;
  /** Opens a shell on a slurm system (checks at creation); absent, localhost systems only. */
  slurm?: SlurmConnector;
  /** The container engine's image side, for GET /engine; absent in tests without an engine. */
  imageEngine?: () => Promise<ImageEngine>;
  /** A fresh url-safe code for confirming a new user's address. */
  newConfirmationCode(): string;
}
