// The one place deploy/nginx.conf.template becomes an nginx.conf: its {{NAME}} fields filled from
// the replicas' addresses and tags. deploy/run.ts and test/deploy-nginx.test.ts call it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIMIT_FLAGS } from '../src/server/limits.ts';

export interface Replica { tag: string; host: string; port: number }

export interface NginxConfig {
  /** Where nginx listens: `HOST:PORT`. */
  listen: string;
  replicas: Replica[];
  /** nginx's prefix: its pid, temp folders. */
  dir: string;
  /** The replicas' --max-body (default: serve's). */
  maxBodyBytes?: number;
  /** Passive health check: errors before a replica is left out, and for how long (s). */
  maxFails?: number;
  failTimeoutS?: number;
}

/** Debian's libnginx-mod-http-js puts njs here; OSS_EDGE_NGINX_JS_MODULE names another. */
export function jsModulePath(env: Record<string, string | undefined> = process.env): string {
  return env.OSS_EDGE_NGINX_JS_MODULE ?? '/usr/lib/nginx/modules/ngx_http_js_module.so';
}

export function renderNginxConf(c: NginxConfig): string {
  if (!c.replicas.length) throw new Error('nginx needs at least one replica');
  const maxBody = c.maxBodyBytes ?? LIMIT_FLAGS.find((f) => f.key === 'maxBodyBytes')!.default;
  const server = (r: Replica, extra = '') => `    server ${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port} max_fails=${c.maxFails ?? 2} fail_timeout=${c.failTimeoutS ?? 5}s${extra};`;
  // an id's owner first; if it is down the others answer (a 404 for a response they do not hold beats a 502)
  const perReplica = c.replicas.map((r) => [`  upstream replica_${r.tag} {`, `    zone replica_${r.tag} 64k;`, server(r),
    ...c.replicas.filter((o) => o !== r).map((o) => server(o, ' backup')), '    keepalive 8;', '  }'].join('\n'));
  const fields: Record<string, string> = {
    JS_MODULE: jsModulePath(),
    AFFINITY_JS: join(import.meta.dir, 'affinity.js'),
    DIR: c.dir,
    LISTEN: c.listen,
    TAGS: c.replicas.map((r) => r.tag).join(' '),
    MAX_BODY: String(maxBody),
    SERVERS: c.replicas.map((r) => server(r)).join('\n'),
    REPLICA_UPSTREAMS: perReplica.join('\n'),
  };
  const template = readFileSync(join(import.meta.dir, 'nginx.conf.template'), 'utf8');
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    if (!(name in fields)) throw new Error(`nginx.conf.template: unknown field {{${name}}}`);
    return fields[name];
  });
}

/** The nginx binary: $OSS_EDGE_NGINX, else Debian's /usr/sbin/nginx, else `nginx` on PATH. */
export function nginxPath(env: Record<string, string | undefined> = process.env): string {
  return env.OSS_EDGE_NGINX ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx');
}
