import { describe, expect, it } from 'vitest'
import { scrubberOf } from '../../../src/common/untrusted.js'
import { renderDataLoss } from '../../../src/report/data-loss.js'
import type { Outcome } from '../../../src/runtime/outcome.js'

describe('renderDataLoss', () => {
  it('one server: its window, escaped and scrubbed', () => {
    const outcome: Outcome = {
      deleted: [],
      dataLoss: 'Restoring loses <2h> of *writes* to hunter2'
    }
    expect(renderDataLoss(outcome, [12345], scrubberOf(['hunter2']))).toEqual([
      '<p><strong>Data-loss window:</strong><br>Restoring loses &#60;2h&#62; of &#42;writes&#42; to &#42;&#42;&#42;</p>',
      ''
    ])
  })

  it('several servers: one line each, for the servers that have one', () => {
    const servers = new Map<number, Outcome>([
      [101, { deleted: [], dataLoss: 'Server 101 loses 1h' }],
      [102, { deleted: [] }],
      [103, { deleted: [], dataLoss: 'Server 103 loses 3h' }]
    ])
    expect(renderDataLoss({ deleted: [], servers }, [101, 102, 103])).toEqual([
      '<p><strong>Data-loss window:</strong><br>Server 101 loses 1h<br>Server 103 loses 3h</p>',
      ''
    ])
  })

  it('nothing when no server has a window', () => {
    expect(renderDataLoss({ deleted: [] }, [12345])).toEqual([])
    expect(renderDataLoss({ deleted: [], dataLoss: '' }, [12345])).toEqual([])
    const servers = new Map<number, Outcome>([[101, { deleted: [] }]])
    expect(renderDataLoss({ deleted: [], servers }, [101])).toEqual([])
  })
})
