import { describe, expect, it } from "vitest";
import { DEFAULT_CACHE_MAX_BYTES, DEFAULT_MAX_UPLOAD_BYTES, loadClientConfig, loadConfig, parseServerUrl } from "./config.js";

describe("loadClientConfig", () => {
  it("reads the server, token, user and password from the environment, flags first", () => {
    const env = { CAIRN_SERVER: "http://cairn.example:8080/", CAIRN_TOKEN: "t", CAIRN_USER: "ada", CAIRN_PASSWORD: " secret ", HOME: "/home/ada" };
    expect(loadClientConfig({}, env)).toEqual({
      server: "http://cairn.example:8080",
      token: "t",
      user: "ada",
      password: " secret ",
      sessionFile: "/home/ada/.config/cairn/session.json",
    });
    expect(loadClientConfig({ server: "https://other", user: "bob" }, env)).toMatchObject({ server: "https://other", user: "bob" });
  });

  it("keeps the session under XDG_CONFIG_HOME when it is set, and leaves the server open when nothing names one", () => {
    expect(loadClientConfig({}, { XDG_CONFIG_HOME: "/x/config", HOME: "/home/ada" })).toEqual({
      server: undefined,
      token: undefined,
      user: undefined,
      password: undefined,
      sessionFile: "/x/config/cairn/session.json",
    });
  });
});

describe("parseServerUrl", () => {
  it("accepts http and https URLs, with a path prefix, without the trailing slash", () => {
    expect(parseServerUrl("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(parseServerUrl("https://example.org/cairn/")).toBe("https://example.org/cairn");
  });

  it("refuses anything else, naming what it got", () => {
    for (const bad of ["127.0.0.1:8080", "ftp://x", "http://u:p@x", "http://x/?q=1", "not a url"]) {
      expect(() => parseServerUrl(bad), bad).toThrow(expect.objectContaining({ code: "config_invalid", message: expect.stringContaining(bad) }));
    }
  });
});

describe("loadConfig: uploads and working folders", () => {
  it("reads the upload limit in human units and the grace period as a duration, with defaults", () => {
    expect(loadConfig({}, { CAIRN_DATA_DIR: "/d" })).toMatchObject({ maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES, workDirGraceMs: 0 });
    expect(loadConfig({}, { CAIRN_DATA_DIR: "/d", CAIRN_MAX_UPLOAD_BYTES: "512m", CAIRN_WORK_DIR_GRACE: "10m" })).toMatchObject({
      maxUploadBytes: 512 * 1024 ** 2,
      workDirGraceMs: 600_000,
    });
    expect(loadConfig({}, { CAIRN_DATA_DIR: "/d", CAIRN_MAX_UPLOAD_BYTES: "1.5GiB", CAIRN_WORK_DIR_GRACE: "90" })).toMatchObject({
      maxUploadBytes: 1.5 * 1024 ** 3,
      workDirGraceMs: 90_000,
    });
  });

  it("reads the task cache's bound in human units, 10 GiB by default", () => {
    expect(loadConfig({}, { CAIRN_DATA_DIR: "/d" }).cacheMaxBytes).toBe(DEFAULT_CACHE_MAX_BYTES);
    expect(DEFAULT_CACHE_MAX_BYTES).toBe(10 * 1024 ** 3);
    expect(loadConfig({}, { CAIRN_DATA_DIR: "/d", CAIRN_CACHE_MAX_BYTES: "512m" }).cacheMaxBytes).toBe(512 * 1024 ** 2);
    expect(() => loadConfig({}, { CAIRN_CACHE_MAX_BYTES: "big" })).toThrow(expect.objectContaining({ code: "config_invalid", message: expect.stringContaining("CAIRN_CACHE_MAX_BYTES") }));
  });

  it("refuses values it cannot read, naming the variable", () => {
    expect(() => loadConfig({}, { CAIRN_MAX_UPLOAD_BYTES: "lots" })).toThrow(expect.objectContaining({ code: "config_invalid", message: expect.stringContaining("CAIRN_MAX_UPLOAD_BYTES") }));
    expect(() => loadConfig({}, { CAIRN_WORK_DIR_GRACE: "soon" })).toThrow(expect.objectContaining({ code: "config_invalid", message: expect.stringContaining("CAIRN_WORK_DIR_GRACE") }));
  });
});

describe("loadConfig: image builds", () => {
  it("defaults to GitHub and Docker Hub, TLS everywhere", () => {
    expect(loadConfig({}, { HOME: "/home/ada" })).toMatchObject({ githubUrl: "https://github.com", dockerhubRegistry: "docker.io", insecureRegistries: [] });
  });

  it("reads the GitHub base URL, the Docker Hub host and the plain-HTTP registries", () => {
    const env = { CAIRN_GITHUB_URL: "http://127.0.0.1:9418/", CAIRN_DOCKERHUB_REGISTRY: "127.0.0.1:5000", CAIRN_INSECURE_REGISTRIES: "127.0.0.1:5000, reg.lab:5001" };
    expect(loadConfig({}, env)).toMatchObject({ githubUrl: "http://127.0.0.1:9418", dockerhubRegistry: "127.0.0.1:5000", insecureRegistries: ["127.0.0.1:5000", "reg.lab:5001"] });
  });

  it("CAIRN_IMAGE_CACHE=materialize saves pulled images in the default cache folder, materialize:DIR in DIR", () => {
    expect(loadConfig({}, { HOME: "/home/ada", CAIRN_DATA_DIR: "/d" })).toMatchObject({ imageCacheDir: "/d/images", materializePulls: false });
    expect(loadConfig({}, { CAIRN_DATA_DIR: "/d", CAIRN_IMAGE_CACHE: "/cache" })).toMatchObject({ imageCacheDir: "/cache", materializePulls: false });
    expect(loadConfig({}, { CAIRN_DATA_DIR: "/d", CAIRN_IMAGE_CACHE: "materialize" })).toMatchObject({ imageCacheDir: "/d/images", materializePulls: true });
    expect(loadConfig({}, { CAIRN_DATA_DIR: "/d", CAIRN_IMAGE_CACHE: "materialize:/cache" })).toMatchObject({ imageCacheDir: "/cache", materializePulls: true });
  });

  it("reads registry mirrors as REGISTRY=MIRROR pairs, and refuses anything else naming the variable", () => {
    expect(loadConfig({}, { HOME: "/home/ada" }).registryMirrors).toEqual({});
    expect(loadConfig({}, { CAIRN_REGISTRY_MIRRORS: "docker.io=127.0.0.1:5000, quay.io=mirror.lab" }).registryMirrors).toEqual({ "docker.io": "127.0.0.1:5000", "quay.io": "mirror.lab" });
    expect(() => loadConfig({}, { CAIRN_REGISTRY_MIRRORS: "docker.io" })).toThrow(/CAIRN_REGISTRY_MIRRORS takes REGISTRY=MIRROR pairs .* got 'docker.io'/);
    expect(() => loadConfig({}, { CAIRN_REGISTRY_MIRRORS: "docker.io=http://m:5000" })).toThrow(/CAIRN_REGISTRY_MIRRORS takes registry hosts/);
  });

  it("names the variable and the bad value", () => {
    expect(() => loadConfig({}, { CAIRN_GITHUB_URL: "github.com" })).toThrow(/CAIRN_GITHUB_URL must be an http:\/\/ or https:\/\/ URL, got 'github.com'/);
    expect(() => loadConfig({}, { CAIRN_INSECURE_REGISTRIES: "http://reg:5000" })).toThrow(/CAIRN_INSECURE_REGISTRIES takes registry hosts .* got 'http:\/\/reg:5000'/);
  });
});

describe("loadConfig: the host runtime", () => {
  it("forks python3 tasks from the warm interpreter unless CAIRN_PYTHON_FORK turns it off", () => {
    expect(loadConfig({}, { CAIRN_DATA_DIR: "/d" }).pythonFork).toBe(true);
    expect(loadConfig({}, { CAIRN_DATA_DIR: "/d", CAIRN_PYTHON_FORK: "0" }).pythonFork).toBe(false);
    expect(() => loadConfig({}, { CAIRN_PYTHON_FORK: "maybe" })).toThrow(/CAIRN_PYTHON_FORK must be 1\/0, true\/false, yes\/no or on\/off, got 'maybe'/);
  });
});

describe("loadConfig: accounts", () => {
  it("defaults to open registration, 20 registrations an hour, 5 and 20 failures, a 15-minute lock cap and a 1 s refusal delay", () => {
    const config = loadConfig({ dataDir: "/tmp/x" }, {});
    expect([config.registration, config.registrationsPerHour, config.loginFailuresPerAccount, config.loginFailuresPerAddress, config.loginLockMaxMs, config.loginRefusalDelayMs]).toEqual([
      "open",
      20,
      5,
      20,
      900_000,
      1000,
    ]);
  });

  it("reads each from the environment", () => {
    const config = loadConfig(
      { dataDir: "/tmp/x" },
      {
        CAIRN_REGISTRATION: "Admin",
        CAIRN_REGISTRATIONS_PER_HOUR: "3",
        CAIRN_LOGIN_FAILURES_PER_ACCOUNT: "4",
        CAIRN_LOGIN_FAILURES_PER_ADDRESS: "50",
        CAIRN_LOGIN_LOCK_MAX: "1h",
        CAIRN_LOGIN_REFUSAL_DELAY: "0",
        CAIRN_MIN_PASSWORD_LENGTH: "6",
      },
    );
    expect(config.minPasswordLength).toBe(6);
    expect(loadConfig({ dataDir: "/tmp/x" }, {}).minPasswordLength).toBe(8);
    expect([config.registration, config.registrationsPerHour, config.loginFailuresPerAccount, config.loginFailuresPerAddress, config.loginLockMaxMs, config.loginRefusalDelayMs]).toEqual([
      "admin",
      3,
      4,
      50,
      3_600_000,
      0,
    ]);
  });

  it("names the variable and the bad value", () => {
    expect(() => loadConfig({ dataDir: "/tmp/x" }, { CAIRN_REGISTRATION: "invite" })).toThrow("CAIRN_REGISTRATION must be open, admin or closed, got 'invite'");
    expect(() => loadConfig({ dataDir: "/tmp/x" }, { CAIRN_LOGIN_LOCK_MAX: "500ms" })).toThrow(/CAIRN_LOGIN_LOCK_MAX must be a duration of at least 1s/);
    expect(() => loadConfig({ dataDir: "/tmp/x" }, { CAIRN_LOGIN_REFUSAL_DELAY: "1m" })).toThrow(/CAIRN_LOGIN_REFUSAL_DELAY must be a duration of at most 10s/);
    expect(() => loadConfig({ dataDir: "/tmp/x" }, { CAIRN_REGISTRATIONS_PER_HOUR: "0" })).toThrow(/CAIRN_REGISTRATIONS_PER_HOUR must be a whole number/);
    expect(() => loadConfig({ dataDir: "/tmp/x" }, { CAIRN_MIN_PASSWORD_LENGTH: "six" })).toThrow(/CAIRN_MIN_PASSWORD_LENGTH must be a whole number/);
  });
});
