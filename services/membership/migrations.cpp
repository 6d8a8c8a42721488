#include "membership/migrations.hpp"

#include <array>
#include <string>
#include <string_view>

#include "store/portable_ddl.hpp"

namespace kai::membership {
namespace {

// Version 1: the whole registry, in portable DDL (store/portable_ddl.hpp). Rules that replicas
// sharing a PostgreSQL database could race on are also unique indexes (one alliance
// node, one holder of a one-seat office, one running and one scheduled term per organisation,
// one annual meeting a year, a need claimed once), so the loser of a race fails instead of
// breaking them.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE node (
  id @ID@,
  tier TEXT NOT NULL CHECK (tier IN ('alliance', 'community', 'grid')),
  name @NAME@ NOT NULL,
  parent_id BIGINT REFERENCES node(id),
  path TEXT NOT NULL UNIQUE,
  head @BLOB@,
  version BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX node_sibling_name ON node(parent_id, name);
CREATE UNIQUE INDEX node_one_alliance ON node(tier) WHERE tier = 'alliance';
CREATE INDEX node_tier ON node(tier, path);

CREATE TABLE organization (
  id @ID@,
  name @NAME@ NOT NULL,
  kind TEXT NOT NULL,
  credit_code TEXT UNIQUE,
  node_id BIGINT REFERENCES node(id),
  community_id BIGINT REFERENCES node(id),
  grid_id BIGINT REFERENCES node(id),
  contact @BLOB@,
  contacts @BLOB@,
  party_organization @BLOB@,
  tags @BLOB@,
  joined_on TEXT,
  version BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX organization_name ON organization(name, id);
CREATE INDEX organization_created ON organization(created_at, id);
CREATE INDEX organization_kind_name ON organization(kind, name, id);
CREATE INDEX organization_community_name ON organization(community_id, name, id)
  WHERE community_id IS NOT NULL;
CREATE INDEX organization_node_name ON organization(node_id, name, id) WHERE node_id IS NOT NULL;

CREATE TABLE office_holding (
  id @ID@,
  title TEXT NOT NULL CHECK (title IN ('chair', 'vice_chair', 'office_director')),
  holder @BLOB@ NOT NULL,
  holder_name TEXT NOT NULL,
  since TEXT NOT NULL,
  until TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX office_holding_title ON office_holding(title, until);
CREATE UNIQUE INDEX office_holding_one_seat ON office_holding(title)
  WHERE until IS NULL AND title <> 'vice_chair';

CREATE TABLE working_group (
  id @ID@,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  description TEXT,
  leader @BLOB@,
  leader_since TEXT,
  version BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE term (
  id @ID@,
  organization_id BIGINT NOT NULL REFERENCES organization(id),
  start_on TEXT NOT NULL,
  end_on TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('scheduled', 'active', 'expired', 'withdrawn')),
  previous_term_id BIGINT REFERENCES term(id),
  next_term_id BIGINT REFERENCES term(id),
  withdrawn_on TEXT,
  withdrawal_reason TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX term_organization ON term(organization_id, id);
CREATE INDEX term_status_end ON term(status, end_on, id);
CREATE UNIQUE INDEX term_one_running ON term(organization_id) WHERE status = 'active';
CREATE UNIQUE INDEX term_one_scheduled ON term(organization_id) WHERE status = 'scheduled';

CREATE TABLE agreement (
  id @ID@,
  organization_id BIGINT NOT NULL REFERENCES organization(id),
  title TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'expired', 'terminated')),
  signed_on TEXT,
  start_on TEXT NOT NULL,
  end_on TEXT NOT NULL,
  subdistrict_provides TEXT NOT NULL,
  unit_opens TEXT NOT NULL,
  commitments TEXT,
  terminated_on TEXT,
  termination_reason TEXT,
  version BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX agreement_organization ON agreement(organization_id, id);
CREATE INDEX agreement_status_end ON agreement(status, end_on);

CREATE TABLE need (
  id @ID@,
  year INTEGER NOT NULL,
  title TEXT NOT NULL,
  description TEXT,
  source TEXT NOT NULL,
  organization_id BIGINT REFERENCES organization(id),
  node_id BIGINT REFERENCES node(id),
  working_group_id BIGINT REFERENCES working_group(id),
  status TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'closed')),
  project_id BIGINT,
  closed_reason TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX need_year ON need(year, id);

CREATE TABLE project (
  id @ID@,
  need_id BIGINT NOT NULL UNIQUE REFERENCES need(id),
  year INTEGER NOT NULL,
  title TEXT NOT NULL,
  description TEXT,
  working_group_id BIGINT NOT NULL REFERENCES working_group(id),
  lead_organization_id BIGINT REFERENCES organization(id),
  status TEXT NOT NULL
    CHECK (status IN ('planned', 'active', 'suspended', 'completed', 'cancelled')),
  institutionalized INTEGER NOT NULL DEFAULT 0,
  version BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX project_year ON project(year, id);
CREATE INDEX project_status ON project(status, id);

CREATE TABLE project_partner (
  project_id BIGINT NOT NULL REFERENCES project(id),
  organization_id BIGINT NOT NULL REFERENCES organization(id),
  PRIMARY KEY (project_id, organization_id)
);
CREATE INDEX project_partner_organization ON project_partner(organization_id, project_id);

CREATE TABLE project_step (
  id @ID@,
  project_id BIGINT NOT NULL REFERENCES project(id),
  title TEXT NOT NULL,
  due_on TEXT NOT NULL,
  done_on TEXT
);
CREATE INDEX project_step_project ON project_step(project_id, due_on, id);

CREATE TABLE project_report (
  id @ID@,
  project_id BIGINT NOT NULL REFERENCES project(id),
  year INTEGER NOT NULL,
  quarter INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4),
  summary TEXT NOT NULL,
  progress_percent INTEGER NOT NULL,
  problems TEXT,
  created_at BIGINT NOT NULL,
  UNIQUE (project_id, year, quarter)
);

CREATE TABLE project_evaluation (
  id @ID@,
  project_id BIGINT NOT NULL REFERENCES project(id),
  year INTEGER NOT NULL,
  half INTEGER NOT NULL CHECK (half BETWEEN 1 AND 2),
  score INTEGER NOT NULL,
  comments TEXT,
  reward BIGINT NOT NULL CHECK (reward >= 0),
  evaluated_on TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (project_id, year, half)
);

CREATE TABLE meeting (
  id @ID@,
  kind TEXT NOT NULL CHECK (kind IN ('annual_joint', 'extraordinary_joint', 'office')),
  title TEXT NOT NULL,
  scheduled_at BIGINT NOT NULL,
  year INTEGER NOT NULL,
  location TEXT,
  agenda TEXT,
  status TEXT NOT NULL CHECK (status IN ('scheduled', 'held', 'cancelled')),
  minutes TEXT,
  version BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX meeting_one_annual ON meeting(year)
  WHERE kind = 'annual_joint' AND status <> 'cancelled';
CREATE INDEX meeting_time ON meeting(scheduled_at, id);

CREATE TABLE meeting_invitation (
  meeting_id BIGINT NOT NULL REFERENCES meeting(id),
  organization_id BIGINT NOT NULL REFERENCES organization(id),
  attended INTEGER,
  attendee TEXT,
  PRIMARY KEY (meeting_id, organization_id)
);

CREATE TABLE meeting_resolution (
  id @ID@,
  meeting_id BIGINT NOT NULL REFERENCES meeting(id),
  text TEXT NOT NULL,
  responsible_organization_id BIGINT REFERENCES organization(id),
  due_on TEXT
);
CREATE INDEX meeting_resolution_meeting ON meeting_resolution(meeting_id, id);

CREATE TABLE problem (
  id @ID@,
  source TEXT NOT NULL,
  organization_id BIGINT REFERENCES organization(id),
  reporter_name TEXT,
  reporter_phone TEXT,
  node_id BIGINT REFERENCES node(id),
  title TEXT NOT NULL,
  description TEXT,
  category TEXT,
  priority TEXT,
  status TEXT NOT NULL
    CHECK (status IN ('recorded', 'triaged', 'assigned', 'resolved', 'rejected')),
  handler TEXT,
  handler_organization_id BIGINT REFERENCES organization(id),
  due_on TEXT,
  resolution TEXT,
  rejection_reason TEXT,
  recorded_at BIGINT NOT NULL,
  triaged_at BIGINT,
  assigned_at BIGINT,
  closed_at BIGINT,
  version BIGINT NOT NULL
);
CREATE INDEX problem_status_due ON problem(status, due_on, id);
CREATE INDEX problem_recorded ON problem(recorded_at, id);

CREATE TABLE problem_note (
  id @ID@,
  problem_id BIGINT NOT NULL REFERENCES problem(id),
  at BIGINT NOT NULL,
  author TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX problem_note_problem ON problem_note(problem_id, id);

CREATE TABLE activity (
  id @ID@,
  title TEXT NOT NULL,
  held_on TEXT NOT NULL,
  working_group_id BIGINT REFERENCES working_group(id),
  node_id BIGINT REFERENCES node(id),
  participant_times INTEGER NOT NULL CHECK (participant_times >= 0),
  theme TEXT,
  source TEXT NOT NULL,
  source_ref TEXT,
  created_at BIGINT NOT NULL,
  UNIQUE (source, source_ref)
);
CREATE INDEX activity_held ON activity(held_on, id);
CREATE INDEX activity_group ON activity(working_group_id, held_on);

CREATE TABLE activity_organization (
  activity_id BIGINT NOT NULL REFERENCES activity(id),
  organization_id BIGINT NOT NULL REFERENCES organization(id),
  PRIMARY KEY (activity_id, organization_id)
);
CREATE INDEX activity_organization_org ON activity_organization(organization_id, activity_id);
)sql";

}  // namespace

std::span<const store::Migration> migrations() {
  // Rendered once; the strings live for the whole process, as Migration's views require.
  static const std::string v1_sqlite = store::render_ddl(kV1, store::Dialect::sqlite);
  static const std::string v1_postgres = store::render_ddl(kV1, store::Dialect::postgres);
  static const std::array<store::Migration, 1> kMigrations = {{
      {.version = 1, .name = "registry", .sqlite = v1_sqlite, .postgres = v1_postgres},
  }};
  return kMigrations;
}

}  // namespace kai::membership
