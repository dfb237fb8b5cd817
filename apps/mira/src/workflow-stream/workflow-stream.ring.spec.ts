import { formatEvent, StreamRing } from './workflow-stream.ring';

describe('StreamRing', () => {
  it('returns the events after a known id, and null for another epoch, a future id or one dropped off the end', () => {
    const ring = new StreamRing(3, 'ep');
    for (let i = 1; i <= 5; i++) ring.push('workflow.updated', { n: i });
    expect(ring.after('ep-3')?.map((e) => e.data.n)).toEqual([4, 5]);
    expect(ring.after('ep-2')?.map((e) => e.data.n)).toEqual([3, 4, 5]);
    expect(ring.after('ep-5')).toEqual([]);
    expect(ring.after('ep-1')).toBeNull();
    expect(ring.after('ep-9')).toBeNull();
    expect(ring.after('other-4')).toBeNull();
    expect(ring.after('garbage')).toBeNull();
  });

  it('an empty ring resumes from its current position only', () => {
    const ring = new StreamRing(3, 'ep');
    expect(ring.after('ep-0')).toEqual([]);
  });

  it('frames an event as id, event and one JSON data line', () => {
    const ring = new StreamRing(3, 'ep');
    const e = ring.push('workflow.created', { title: 'a\nb' });
    expect(formatEvent(e)).toBe('id: ep-1\nevent: workflow.created\ndata: {"title":"a\\nb"}\n\n');
  });
});
