// kai-gateway: the platform's REST/JSON front door over the bus (DESIGN.md §3, §8).
#include <iostream>
#include <memory>

#include <zmq.hpp>

#include "common/log.hpp"
#include "common/process.hpp"
#include "common/signals.hpp"
#include "gateway/api_page.hpp"
#include "gateway/audit_log.hpp"
#include "gateway/broker_probe.hpp"
#include "gateway/gateway.hpp"
#include "gateway/gateway_settings.hpp"
#include "gateway/openapi_document.hpp"
#include "gateway/token_store.hpp"
#include "ops/ops_server.hpp"
#include "schema/openapi.hpp"

using namespace kai;

int main(int argc, char** argv) {
  ShutdownSignals signals;  // before any thread starts
  const Config cfg =
      Config::load_or_exit("kai-gateway", "REST/JSON API gateway of the Kai Alliance platform",
                           gateway::gateway_settings(), argc, argv);
  if (Status s = init_logging(cfg, "kai-gateway"); !s.ok()) {
    std::cerr << "kai-gateway: " << s.message() << "\n";
    return 2;
  }
  auto options = gateway::gateway_options_from(cfg);
  if (!options.ok()) {
    std::cerr << "kai-gateway: " << options.status().message() << "\n";
    return 2;
  }

  gateway::TokenStore tokens(options->tokens_file);
  if (Status s = tokens.reload(); !s.ok()) {
    log::error("cannot load the tokens file")
        .kv("path", options->tokens_file)
        .kv("error", s.to_string());
    return 2;
  }
  log::info("tokens loaded").kv("path", options->tokens_file).kv("tokens", tokens.size());

  store::StoreOptions store_opts;
  store_opts.data_dir = options->data_dir;
  store_opts.service = "gateway";
  store_opts.db_url = options->db_url;
  auto audit = gateway::AuditLog::open(store_opts);
  if (!audit.ok()) {
    log::error("cannot open the audit log").kv("error", audit.status().to_string());
    return 1;
  }

  auto openapi = gateway::build_openapi_document(schema::openapi_json());
  if (!openapi.ok()) {
    log::error("cannot build the OpenAPI document").kv("error", openapi.status().to_string());
    return 1;
  }
  const gateway::ApiPage page = gateway::ApiPage::load(options->api_page_dir);

  zmq::context_t ctx(1);
  auto bus = std::make_unique<bus::Client>(ctx, options->bus);
  auto probe = std::make_unique<gateway::BrokerProbe>(*bus);

  gateway::GatewayParts parts;
  parts.bus = bus.get();
  parts.tokens = &tokens;
  parts.audit = audit->get();
  parts.page = &page;
  parts.openapi_json = std::move(openapi).value();
  gateway::Gateway gw(*options, std::move(parts));

  ops::OpsServer ops(options->ops_addr, "kai-gateway");
  ops.add_check("broker", [&probe] { return probe->check(); });
  ops.add_check("audit_db", [db = audit->get()] {
    const store::HealthReport h = db->health();
    return ops::CheckResult{h.healthy, false, h.detail};
  });
  if (Status s = ops.start(); !s.ok()) {
    log::error("cannot start the ops port").kv("error", s.message());
    return 1;
  }
  http::Server server(options->http, [&gw](http::Request& req, http::Responder r) {
    gw.handle(req, std::move(r));
  });
  if (Status s = server.start(); !s.ok()) {
    log::error("cannot start the HTTP API").kv("error", s.message());
    return 1;
  }
  log::info("gateway ready")
      .kv("api", "http://" + server.local_address() + "/api/v1/")
      .kv("routes", static_cast<std::uint64_t>(gw.routes().routes().size()))
      .kv("api_page", page.available());

  signals.wait_for_shutdown([&tokens] {
    if (Status s = tokens.reload(); !s.ok()) {
      log::error("tokens not reloaded; the previous tokens stay in force")
          .kv("path", tokens.path())
          .kv("error", s.to_string());
      return;
    }
    log::info("tokens reloaded").kv("path", tokens.path()).kv("tokens", tokens.size());
  });

  // Stop taking requests, answer those in flight, then take the parts down in dependency order:
  // the bus (whose replies feed the audit log), the audit log (whose commits answer writes).
  log::info("gateway draining");
  ops.set_draining(true);
  server.stop();
  gw.drain();
  probe.reset();
  bus.reset();
  audit->reset();
  ops.stop();
  log::info("gateway stopped");
  return 0;
}
