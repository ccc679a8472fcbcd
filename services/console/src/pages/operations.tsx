import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { useCan } from '../role';
import { Loading, Notice, useGet } from '../ui';
import { ProjectionFacts } from './projection';

/** How often a running job's progress is asked for. */
const POLL_MS = 500;

export function Operations() {
  const [refresh, setRefresh] = useState(0);
  const status = useGet<any>('/admin/operations/status', refresh, 5000);
  const [job, setJob] = useState<any>(null);
  const [error, setError] = useState<string>();

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const answer = await api<{ job: any }>('/admin/operations/job');
      if (!live) return;
      if (answer.ok) setJob(answer.body.job);
      if (answer.ok && answer.body.job?.status === 'running') timer = setTimeout(poll, POLL_MS);
      else setRefresh((n) => n + 1);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [job?.operation_id]);

  async function start(kind: 'verify' | 'rebuild') {
    setError(undefined);
    const answer = await api(`/admin/operations/${kind}`, { method: 'POST' });
    if (!answer.ok) return setError(answer.error ?? '');
    setJob(answer.body);
  }

  const running = job?.status === 'running';
  const operator = useCan('operator');
  return (
    <>
      <h1>Operations</h1>
      <section aria-labelledby="status-title">
        <h2 id="status-title">Read models</h2>
        <Loading answer={status}>{(body) => <ProjectionFacts status={body} />}</Loading>
      </section>
      <section aria-labelledby="jobs-title">
        <h2 id="jobs-title">Verify and rebuild</h2>
        <p class="muted">
          Verify checks that every currency sums to zero and every read model equals a fresh fold of the events. Rebuild replays every event into fresh read models
          and swaps them in while the API keeps serving. One at a time.
        </p>
        {operator ? (
          <div class="actions">
            <button type="button" onClick={() => start('verify')} disabled={running}>
              Verify
            </button>
            <button type="button" onClick={() => start('rebuild')} disabled={running}>
              Rebuild
            </button>
          </div>
        ) : (
          <p class="muted">An auditor reads the status and the jobs; an operator or an admin runs them.</p>
        )}
        {error && <Notice error>{error}</Notice>}
        {job && <Job job={job} />}
      </section>
    </>
  );
}

function Job({ job }: { job: any }) {
  const progress = job.progress;
  return (
    <div class="card" data-testid="job" data-status={job.status}>
      <p>
        <strong>{job.kind}</strong> {job.status}
        {job.finished_at ? ` at ${new Date(job.finished_at).toLocaleTimeString()}` : ''}
      </p>
      {job.status === 'running' && (
        <label>
          Progress{' '}
          <progress max={progress?.total || 1} value={progress ? progress.done : undefined}>
            {progress ? `${progress.done} / ${progress.total}` : 'working'}
          </progress>{' '}
          {progress ? `${progress.done} / ${progress.total} events` : ''}
        </label>
      )}
      {job.status === 'done' && job.kind === 'verify' && (
        <Notice error={!job.result.ok}>
          {job.result.ok ? `OK at position ${job.result.position ?? '(empty)'}: the books balance and every read model equals a fresh fold` : `FAILED with ${job.result.problems.length} problem(s)`}
        </Notice>
      )}
      {job.status === 'done' && job.kind === 'verify' && !job.result.ok && (
        <ul>
          {job.result.problems.map((problem: string) => (
            <li>{problem}</li>
          ))}
        </ul>
      )}
      {job.status === 'done' && job.kind === 'rebuild' && (
        <Notice>
          rebuilt into generation {job.result.generation}: {job.result.events} events in {job.result.seconds.toFixed(1)} s, now serving
        </Notice>
      )}
      {job.status === 'failed' && <Notice error>{job.error}</Notice>}
    </div>
  );
}
