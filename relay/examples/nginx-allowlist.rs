//! Prints nginx `location` blocks equivalent to the relay's allow-list (the catalogue), for the benchmark in
//! `relay/bench/run.sh`: exact paths, the catalogue method only, the query passed as is, only the venue's
//! credential headers forwarded.

fn main() {
    for e in catalogue::ENDPOINTS {
        let venue = e.venue.as_str();
        let upstream = e.host.as_str();
        println!(
            "location = /v1/{venue}{path} {{\n    limit_except {method} {{ deny all; }}\n    proxy_pass http://{upstream}{path}$is_args$args;\n}}",
            path = e.path,
            method = e.method.as_str(),
        );
    }
}
