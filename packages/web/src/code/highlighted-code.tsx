import hljs from "highlight.js/lib/core";
import json from "highlight.js/lib/languages/json";
import yaml from "highlight.js/lib/languages/yaml";
import "highlight.js/styles/github.css";
import { useMemo } from "react";

/** Its own chunk (with highlight.js and its two languages), loaded where code is shown. */
hljs.registerLanguage("json", json);
hljs.registerLanguage("yaml", yaml);

/**
 * Longer text is shown plain: highlighting a 1,000-task pipeline's 300 KB of JSON held the
 * page for over a second of CPU, for colours nobody reads at that length.
 */
const MAX_HIGHLIGHTED_CHARS = 100_000;

export default function HighlightedCode({ code, language, label }: { code: string; language: "json" | "yaml"; label: string }) {
  // highlight.js escapes the text it is given; its output holds only its own <span>s.
  const html = useMemo(() => (code.length > MAX_HIGHLIGHTED_CHARS ? undefined : hljs.highlight(code, { language }).value), [code, language]);
  if (html === undefined) {
    return (
      <pre className="code" tabIndex={0} aria-label={label}>
        <code className={`hljs language-${language}`}>{code}</code>
      </pre>
    );
  }
  return (
    <pre className="code" tabIndex={0} aria-label={label}>
      <code className={`hljs language-${language}`} dangerouslySetInnerHTML={{ __html: html }} />
    </pre>
  );
}
