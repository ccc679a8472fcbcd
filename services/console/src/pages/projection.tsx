/** Where the read models stand (GET /admin/operations/status), as the overview and the operations page show it. */
export function ProjectionFacts({ status }: { status: any }) {
  return (
    <dl class="facts">
      <dt>behind</dt>
      <dd data-testid="lag-events">{status.behind_events} events</dd>
      <dt>lag</dt>
      <dd>{status.lag_seconds.toFixed(1)} s</dd>
      <dt>position / head</dt>
      <dd>
        {status.position ?? '—'} / {status.head ?? '—'}
      </dd>
      <dt>generation</dt>
      <dd>{status.generation}</dd>
      <dt>events projected</dt>
      <dd>{status.events_projected}</dd>
      <dt>last event</dt>
      <dd>{status.last_event_at ? new Date(status.last_event_at).toLocaleString() : '—'}</dd>
      <dt>quarantined</dt>
      <dd>
        {status.quarantined.read_models} read models, {status.quarantined.feed} feed
      </dd>
    </dl>
  );
}
