/**
 * The part of autocannon's programmatic API (https://github.com/mcollina/autocannon,
 * README "API") the suite uses; the package ships no types of its own.
 */
declare module "autocannon" {
  interface Options {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    headers?: Record<string, string>;
  }
  interface Histogram {
    average: number;
    p50: number;
    p99: number;
    max: number;
    total: number;
  }
  interface Result {
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    /** Latency in ms. */
    latency: Histogram;
    /** Requests per one-second sample; `total` is every completed request. */
    requests: Histogram;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
