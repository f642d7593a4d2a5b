-- A stand-in for the real Migrations/0001: only what the Store tests touch.
-- The suite reads its migrations from DIDTRON_TEST_MIGRATIONS when set.
CREATE TYPE call_direction AS ENUM ('inbound', 'outbound');
CREATE TYPE call_status AS ENUM (
  'initiated', 'ringing', 'answered', 'completed', 'failed', 'busy', 'no_answer'
);

CREATE TABLE calls (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  uuid uuid UNIQUE NOT NULL,
  direction call_direction,
  from_number text,
  to_number text,
  original_from_number text,
  original_to_number text,
  status call_status,
  duration_seconds integer,
  call_sid text,
  started_at timestamptz NOT NULL,
  answered_at timestamptz,
  ended_at timestamptz,
  metadata jsonb,
  ingress_carrier_id uuid,
  ingress_interconnect_id uuid,
  ingress_service_id uuid,
  egress_carrier_id uuid,
  egress_interconnect_id uuid,
  egress_service_id uuid,
  sip_status integer NOT NULL,
  routes_tried integer NOT NULL,
  source_address text,
  destination_address text
);
