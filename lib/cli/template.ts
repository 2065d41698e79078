// Per-node values in a network config: `${NAME}` is replaced by the environment variable NAME
// (in a DaemonSet: from the pod spec's env, e.g. the downward API), so one ConfigMap serves every
// node. Nothing else is special: a `$` not followed by `{` stays as it is.

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export class TemplateError extends Error {}

/** The variable names a template refers to, in order of first use. */
export function templateVariables(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/**
 * Fills in every `${NAME}`. A value is JSON-string-escaped, because a placeholder sits inside a
 * JSON string ("subnet": "${NODE_POD_CIDR}") and a quote in a value must not change the config's
 * structure. Unset or empty variables are an error naming all of them: an empty subnet would only
 * fail later, in the first pod's ADD.
 */
export function renderTemplate(text: string, env: Readonly<Record<string, string | undefined>>): string {
  const missing = templateVariables(text).filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new TemplateError(
      `the config refers to ${missing.map((n) => `\${${n}}`).join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not set in the environment`,
    );
  }
  return text.replace(PLACEHOLDER, (_, name: string) => JSON.stringify(env[name]).slice(1, -1));
}

/** Renders a network config and checks that the result is one: a conflist or a single-plugin config. */
export function renderNetworkConfig(text: string, env: Readonly<Record<string, string | undefined>>, source: string): string {
  const rendered = renderTemplate(text, env);
  let parsed: unknown;
  try {
    parsed = JSON.parse(rendered);
  } catch (e) {
    throw new TemplateError(`${source} is not valid JSON after filling in the environment: ${(e as Error).message}`);
  }
  const conf = parsed as { name?: unknown; plugins?: unknown; type?: unknown };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TemplateError(`${source} is not a JSON object`);
  if (typeof conf.name !== 'string' || conf.name === '') throw new TemplateError(`${source} has no "name"`);
  if (!Array.isArray(conf.plugins) && typeof conf.type !== 'string') {
    throw new TemplateError(`${source} is neither a conflist ("plugins") nor a single-plugin config ("type")`);
  }
  return rendered.endsWith('\n') ? rendered : `${rendered}\n`;
}
