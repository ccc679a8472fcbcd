/**
 * The daily figures as grouped bars (minted, absorbed, transferred per day) in plain SVG: no
 * charting library for one chart. Amounts are exact decimal strings; the bars only need their
 * proportions, so Number() is enough here (the table beside shows the exact figures).
 */
export interface DailyFigure {
  day: string;
  minted: string;
  absorbed: string;
  transferred: string;
}

const SERIES = [
  { key: 'minted', label: 'minted', class: 'series-minted' },
  { key: 'absorbed', label: 'absorbed', class: 'series-absorbed' },
  { key: 'transferred', label: 'transferred', class: 'series-transferred' },
] as const;

export function DailyChart({ figures, currency }: { figures: DailyFigure[]; currency: string }) {
  const width = 640;
  const height = 220;
  const pad = { left: 8, right: 8, top: 12, bottom: 28 };
  const max = Math.max(1, ...figures.flatMap((figure) => SERIES.map((series) => Number(figure[series.key]))));
  const slot = (width - pad.left - pad.right) / Math.max(1, figures.length);
  const bar = Math.max(2, (slot - 6) / SERIES.length);
  const scale = (value: string) => ((height - pad.top - pad.bottom) * Number(value)) / max;
  const busy = figures.filter((f) => f.minted !== '0' || f.absorbed !== '0' || f.transferred !== '0');
  const label = `Daily ${currency} figures over ${figures.length} days: ` + (busy.map((f) => `${f.day} minted ${f.minted}, absorbed ${f.absorbed}, transferred ${f.transferred}`).join('; ') || 'no activity');
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} preserveAspectRatio="none">
        <line x1={pad.left} x2={width - pad.right} y1={height - pad.bottom} y2={height - pad.bottom} class="axis" />
        {figures.map((figure, index) => {
          const x = pad.left + index * slot + 3;
          return (
            <g>
              {SERIES.map((series, s) => {
                const h = scale(figure[series.key]);
                return <rect x={x + s * bar} y={height - pad.bottom - h} width={bar - 1} height={h} class={series.class} />;
              })}
              {(figures.length <= 10 || index % Math.ceil(figures.length / 10) === 0) && (
                <text x={x + slot / 2 - 3} y={height - 10} text-anchor="middle" class="tick">
                  {figure.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {SERIES.map((series) => (
          <span class="legend">
            <span class={`swatch ${series.class}`} aria-hidden="true" /> {series.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
