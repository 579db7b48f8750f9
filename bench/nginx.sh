# shellcheck shell=bash
# The nginx that serves a bench corpus on 127.0.0.1, shared by bench/lib.sh and bench/serve.sh:
# one worker, keep-alive, ETags, every temporary file under the work directory.

# write_nginx_conf WORK PORT: writes WORK/nginx/nginx.conf serving WORK/corpus on 127.0.0.1:PORT.
write_nginx_conf() {
    local work=$1 port=$2
    mkdir -p "$work/nginx/tmp"
    cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    sendfile on;
    keepalive_requests 100000;
    keepalive_timeout 60s;
    default_type application/xml;
    types { application/atom+xml atom; application/rss+xml rss; }
    server {
        listen 127.0.0.1:$port;
        root $work/corpus;
        etag on;
    }
}
EOF
}
