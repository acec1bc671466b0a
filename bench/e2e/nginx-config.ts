/**
 * nginx as a reference row (issue 16): where its binary is, and the configuration it runs with,
 * everything under one temporary directory so it runs as the current user.
 */
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Debian's nginx-light installs here, outside an unprivileged user's PATH. */
const SBIN_NGINX = '/usr/sbin/nginx'
/** Idle upstream connections nginx keeps per process: above the driver's 32 connections. */
export const NGINX_UPSTREAM_KEEPALIVE = 64
/** As the upstream's keep-alive: pooled connections never close between rounds. */
const KEEP_ALIVE_S = 120

/** The nginx binary on PATH or in /usr/sbin, or undefined when none is installed. */
export function findNginx(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '')
  for (const candidate of [...dirs.map((d) => join(d, 'nginx')), SBIN_NGINX]) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not there: the next one
    }
  }
  return undefined
}

/**
 * One process that is its own worker (`master_process off`: no idle master beside it, so the
 * CPU of the one pid is nginx's whole cost), `proxy_pass` over HTTP/1.1 with upstream
 * keep-alive, no access log. Every path nginx writes is under `dir`.
 */
export function nginxConfig(dir: string, listenPort: number, upstreamPort: number): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events {
  worker_connections 1024;
}
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client-body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream graphql {
    server 127.0.0.1:${upstreamPort};
    keepalive ${NGINX_UPSTREAM_KEEPALIVE};
    keepalive_requests 100000000;
    keepalive_timeout ${KEEP_ALIVE_S}s;
  }
  server {
    listen 127.0.0.1:${listenPort};
    keepalive_requests 100000000;
    keepalive_timeout ${KEEP_ALIVE_S}s;
    location / {
      proxy_pass http://graphql;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`
}
