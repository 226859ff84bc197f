/**
 * `npm run bench`, section 6: the watch after the app became healthy (health_watch, mode:
 * verify). How soon after an app breaks the step fails: watchHealthy (src/health/watch.ts) on a
 * simulated clock, the app breaking at every moment of a sweep across the watch's cadence.
 * Simulated time, not the built action: the cadence is the action's own (no network in the
 * figures but the stated probe round trip).
 */
import { CONFIRM_INTERVAL_MS } from '../src/inputs/settings.js'
import { WATCH_EVERY_MS, watchInterval } from '../src/health/watch.js'
import * as report from './bench-report.js'
import { simulateWatch } from './simulated-wait.js'

const WATCHES_MS = [30 * report.SECOND, 5 * report.MINUTE, 30 * report.MINUTE]
const THRESHOLDS = [1, 2, 5]
/** Break moments per case, spread evenly over two round intervals from a third of the watch. */
const SWEEP_POINTS = 200

/**
 * The goal: within health_threshold rounds + 10 s. The first failing round comes within a round
 * interval (at most WATCH_EVERY_MS); the k − 1 rounds that confirm it follow CONFIRM_INTERVAL_MS
 * apart; each of the k rounds costs a probe's round trip.
 */
const goal = (threshold: number, latencyMs: number): number =>
  WATCH_EVERY_MS + (threshold - 1) * CONFIRM_INTERVAL_MS + threshold * latencyMs

export async function benchWatch(latencyMs: number): Promise<void> {
  report.progress('6. health_watch: from a break to the failure')
  report.emit(
    '## 6. health_watch: how soon after an app breaks the step fails',
    '',
    `\`watchHealthy\` from src/health/watch.ts on a simulated clock (simulated time, not the built action: the figures are the cadence's own). mode: verify with \`health_watch\` W: once the app is healthy, a round every W/10 (at least ${CONFIRM_INTERVAL_MS / report.SECOND} s, at most ${WATCH_EVERY_MS / report.SECOND} s), and ${CONFIRM_INTERVAL_MS / report.SECOND} s after a failing round. The app breaks B into the watch and stays broken; B sweeps ${SWEEP_POINTS} points across two round intervals (from W/3), so every phase of the cadence is hit. Each probe costs ${latencyMs} ms and sees the state at its arrival. **Detection** = when the step fails (the answer of the k-th failing round in a row is back) − B. Goal: within health_threshold (k) rounds + 10 s = ${WATCH_EVERY_MS / report.SECOND} s + (k − 1) × ${CONFIRM_INTERVAL_MS / report.SECOND} s + k × ${latencyMs} ms.`,
    ''
  )
  const rows: string[][] = []
  const checks: string[] = []
  for (const watchMs of WATCHES_MS) {
    const every = watchInterval(watchMs)
    for (const threshold of THRESHOLDS) {
      const detected: number[] = []
      let missed = 0
      for (let i = 0; i < SWEEP_POINTS; i++) {
        const breaksAtMs = watchMs / 3 + (i * 2 * every) / SWEEP_POINTS
        const run = await simulateWatch(watchMs, breaksAtMs, threshold, latencyMs)
        if (!run.broke) missed++
        else detected.push(run.latenessMs)
      }
      const worst = Math.max(...detected)
      const allowed = goal(threshold, latencyMs)
      rows.push([
        report.durationLabel(watchMs),
        report.seconds(every),
        String(threshold),
        `${report.seconds(report.median(detected))} / ${report.seconds(worst)}`,
        report.seconds(allowed),
        String(missed)
      ])
      checks.push(
        `- W = ${report.durationLabel(watchMs)}, k = ${threshold}: ${report.verdict(worst <= allowed && missed === 0, `worst ${report.seconds(worst)}, goal ${report.seconds(allowed)}${missed ? `, ${missed} breaks not caught` : ''}`)}`
      )
    }
  }
  report.emit(
    ...report.table(
      ['watch W', 'round every', 'k', 'detection (median / worst)', 'goal', 'breaks missed'],
      rows,
      [true, true, true, true, true, true]
    ),
    '',
    'Goals:',
    '',
    ...checks,
    ''
  )
}
