#include "service/local_service.hpp"

#include <set>

#include <zmq.hpp>

#include "bus/settings.hpp"
#include "schema/unpack.hpp"
#include "schema/validate.hpp"
#include "service/service_runtime.hpp"

namespace kai::svc {

namespace detail {

// The runtime and the bus client it may call through; the runtime goes first.
struct LocalState {
  zmq::context_t ctx;
  std::unique_ptr<bus::Client> client;
  std::unique_ptr<Runtime> runtime;

  ~LocalState() {
    runtime.reset();
    client.reset();
  }
};

}  // namespace detail

Result<std::unique_ptr<LocalService>> LocalService::start(const ServiceDefinition& def,
                                                          LocalOptions options) {
  std::vector<SettingSpec> specs = standard_settings(def);
  std::set<std::string> names;
  for (const auto& s : specs)
    names.insert(s.name);
  for (const auto& s : def.settings) {
    if (!names.insert(s.name).second) {
      return invalid_argument("setting " + s.name + " is declared twice", s.name);
    }
    specs.push_back(s);
  }
  std::map<std::string, std::string> values = options.settings;
  values["data-dir"] = options.data_dir;
  values["db-url"] = options.db_url;
  values["redis-url"] = options.redis_url;
  if (!options.brokers.empty()) {
    std::string joined;
    for (const auto& b : options.brokers)
      joined += (joined.empty() ? "" : ",") + b;
    values["broker"] = joined;
  }
  std::vector<std::string> args = {"local-service"};
  for (const auto& [name, value] : values)
    args.push_back("--" + name + "=" + value);
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  // The process environment must not leak into tests: only `values` count.
  auto cfg =
      Config::parse(std::move(specs), static_cast<int>(argv.size()), argv.data(), false,
                    [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
  if (!cfg.ok()) return cfg.status();

  auto state = std::make_unique<detail::LocalState>();
  if (!options.brokers.empty()) {
    auto client_opts = bus::client_options_from(*cfg);
    if (!client_opts.ok()) return client_opts.status();
    state->client = std::make_unique<bus::Client>(state->ctx, *client_opts);
  }
  auto rt = detail::Runtime::create(def, std::move(*cfg), state->client.get());
  if (!rt.ok()) return rt.status();
  state->runtime = std::move(*rt);
  if (options.run_start_work) {
    KAI_RETURN_IF_ERROR(state->runtime->run_start_work());
    auto purged = state->runtime->purge_idempotency_keys();
    if (!purged.ok()) return purged.status();
    for (const auto& job : state->runtime->table().jobs()) {
      KAI_RETURN_IF_ERROR(state->runtime->run_job(job));
    }
  }
  (void)state->runtime->refresh_gauges();
  return std::unique_ptr<LocalService>(new LocalService(std::move(state)));
}

LocalService::LocalService(std::unique_ptr<detail::LocalState> state) : state_(std::move(state)) {}

LocalService::~LocalService() = default;

namespace {

RequestMeta request_meta(std::string_view op, CallMeta meta) {
  return RequestMeta{
      .op = std::string(op),
      .request_id = std::move(meta.request_id),
      .trace_id = std::move(meta.trace_id),
      .principal = std::move(meta.principal),
      .idempotency_key = std::move(meta.idempotency_key),
      .deadline_ms = meta.deadline_ms,
  };
}

}  // namespace

Result<std::string> LocalService::call_raw(std::string_view op, std::string payload,
                                           CallMeta meta) {
  const schema::OperationDesc* desc = state_->runtime->schema().find_operation(op);
  if (desc != nullptr && desc->write && meta.idempotency_key.empty()) {
    meta.idempotency_key = bus::random_id();
  }
  detail::Outcome out = state_->runtime->handle(request_meta(op, std::move(meta)), payload);
  if (!out.status.ok()) return out.status;
  return std::move(out.payload);
}

std::optional<std::string> LocalService::call_inline(std::string_view op, std::string payload,
                                                     CallMeta meta) {
  std::optional<detail::Outcome> out =
      state_->runtime->handle_inline(request_meta(op, std::move(meta)), payload);
  if (!out) return std::nullopt;
  return std::move(out->payload);
}

Status LocalService::deliver(std::string_view publisher, std::int64_t seq, std::string_view topic,
                             std::string payload) {
  auto last = state_->runtime->last_applied(publisher);
  if (!last.ok()) return last.status();
  if (seq <= *last) return Status::Ok();  // a duplicate: ignored, as on the bus
  if (seq != *last + 1) {
    return failed_precondition("event " + std::to_string(seq) + " of " + std::string(publisher) +
                               " comes after " + std::to_string(*last) +
                               ": a LocalService cannot fetch the missing ones");
  }
  const EventMeta meta{.publisher = std::string(publisher),
                       .topic = std::string(topic),
                       .seq = seq,
                       .published_at = now_unix_ms()};
  auto applied = state_->runtime->apply_event(meta, payload);
  return applied.ok() ? Status::Ok() : applied.status();
}

Status LocalService::run_job(std::string_view name) {
  for (const auto& job : state_->runtime->table().jobs()) {
    if (job.name == name) return state_->runtime->run_job(job);
  }
  return not_found("no periodic job named " + std::string(name));
}

Status LocalService::refresh_gauges() {
  return state_->runtime->refresh_gauges();
}

Result<std::vector<store::outbox::Event>> LocalService::published() {
  std::vector<store::outbox::Event> out;
  KAI_RETURN_IF_ERROR(state_->runtime->database().read([&](store::Tx& tx) -> Status {
    while (true) {
      auto batch = store::outbox::read_since(tx, out.empty() ? 0 : out.back().seq, 10000);
      if (!batch.ok()) return batch.status();
      if (batch->empty()) return Status::Ok();
      for (auto& e : *batch)
        out.push_back(std::move(e));
    }
  }));
  return out;
}

Result<std::int64_t> LocalService::last_applied(std::string_view publisher) {
  return state_->runtime->last_applied(publisher);
}

store::Database& LocalService::database() {
  return state_->runtime->database();
}

const Config& LocalService::config() const {
  return state_->runtime->config();
}

Result<msgpack::object_handle> LocalService::unpack_reply(const std::string& bytes,
                                                          const schema::MessageDesc& desc) {
  auto obj = schema::unpack(bytes);
  if (!obj.ok()) return internal_error("reply: " + obj.status().message());
  Status st = schema::validate(obj->get(), desc);
  if (!st.ok())
    return internal_error("reply does not match " + std::string(desc.full_name) + ": " +
                          st.message());
  return std::move(*obj);
}

}  // namespace kai::svc
