import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertConforms, type CsdlModel, loadCsdl } from '../src/graph/index.js';
import { graphCsdlPath } from './support/graph-csdl.js';
import { ALICE, type GraphHarness, meeting, startGraphHarness } from './support/graph-harness.js';

type Json = Record<string, unknown>;

const EVENT_OPTIONS = { notRequired: ['event.cancelledOccurrences'] };
const WINDOW = 'startDateTime=2025-03-01T00:00:00Z&endDateTime=2025-04-01T00:00:00Z';
const MALLORY = { emailAddress: { name: 'Mallory Attendee', address: 'mallory@fabrikam.test' } };

describe('Graph emulator: invitations (events the calendar owner does not organise)', () => {
  let h: GraphHarness;
  let model: CsdlModel;

  beforeEach(async () => {
    model = loadCsdl(graphCsdlPath());
    h = await startGraphHarness();
    h.emulator.upsertUser({ oid: ALICE, displayName: 'Alice Organizer', mail: 'alice@contoso.test' });
  });
  afterEach(async () => {
    await h.close();
  });

  const get = async (path: string): Promise<Json> => {
    const response = await h.graph(path);
    expect(response.status).toBe(200);
    return (await response.json()) as Json;
  };

  it('serves an invitation with its organizer, isOrganizer false and notResponded', async () => {
    const own = h.emulator.createEvent(ALICE, meeting('Own', '2025-03-04T08:00:00'));
    const invitation = h.emulator.receiveInvitation(
      ALICE,
      MALLORY,
      meeting('Invited', '2025-03-04T09:00:00'),
    );
    expect(invitation).toMatchObject({
      isOrganizer: false,
      isCancelled: false,
      organizer: MALLORY,
      responseStatus: { response: 'notResponded' },
    });

    const read = await get(`/me/events/${invitation.id}`);
    expect(read).toMatchObject({
      isOrganizer: false,
      organizer: MALLORY,
      responseStatus: { response: 'notResponded' },
    });
    assertConforms(model, 'event', read, EVENT_OPTIONS);
    expect(await get(`/me/events/${invitation.id}?$select=isOrganizer,subject`)).toMatchObject({
      isOrganizer: false,
      subject: 'Invited',
    });
    // The owner's own events are unchanged.
    expect(await get(`/me/events/${own.id}?$select=isOrganizer,organizer,responseStatus`)).toMatchObject({
      isOrganizer: true,
      organizer: { emailAddress: { name: 'Alice Organizer', address: 'alice@contoso.test' } },
      responseStatus: { response: 'organizer' },
    });

    const view = (await get(`/me/calendarView?${WINDOW}`)).value as Json[];
    expect(view.map((e) => [e.subject, e.isOrganizer])).toEqual([
      ['Own', true],
      ['Invited', false],
    ]);
    const delta = (await get(`/me/calendarView/delta?${WINDOW}`)).value as Json[];
    expect(delta.find((e) => e.id === invitation.id)).toMatchObject({
      isOrganizer: false,
      organizer: MALLORY,
    });
  });

  it("the organizer's changes reach the copy; their cancel leaves it in the calendar, cancelled", async () => {
    const invitation = h.emulator.receiveInvitation(
      ALICE,
      MALLORY,
      meeting('Invited', '2025-03-04T09:00:00'),
    );
    h.clock.advance(60_000);
    const moved = h.emulator.updateEvent(ALICE, invitation.id, meeting('Invited', '2025-03-05T09:00:00'));
    expect(moved).toMatchObject({ isOrganizer: false, start: { dateTime: '2025-03-05T09:00:00.0000000' } });
    expect(moved.changeKey).not.toBe(invitation.changeKey);

    h.clock.advance(60_000);
    const cancelled = h.emulator.cancelInvitation(ALICE, invitation.id);
    expect(cancelled).toMatchObject({ isOrganizer: false, isCancelled: true });
    expect(cancelled.changeKey).not.toBe(moved.changeKey);
    const read = await get(`/me/events/${invitation.id}`);
    expect(read).toMatchObject({ isCancelled: true, isOrganizer: false });
    assertConforms(model, 'event', read, EVENT_OPTIONS);
    expect(((await get(`/me/calendarView?${WINDOW}`)).value as Json[]).map((e) => e.isCancelled)).toEqual([
      true,
    ]);
    // Only invitations are cancelled this way.
    const own = h.emulator.createEvent(ALICE, meeting('Own', '2025-03-04T08:00:00'));
    expect(() => h.emulator.cancelInvitation(ALICE, own.id)).toThrow(/Not an invitation/);
  });

  it("a series invitation's instances are not the owner's either", async () => {
    const master = h.emulator.receiveInvitation(ALICE, MALLORY, {
      ...meeting('Weekly', '2025-03-03T10:00:00', 30),
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
        range: { type: 'numbered', startDate: '2025-03-03', numberOfOccurrences: 3 },
      },
    });
    h.emulator.updateOccurrence(ALICE, master.id, '2025-03-10T10:00:00Z', { subject: 'Weekly (moved)' });
    const instances = (
      await get(
        `/me/events/${master.id}/instances?startDateTime=2025-03-01T00:00:00Z&endDateTime=2025-04-01T00:00:00Z`,
      )
    ).value as Json[];
    expect(instances.map((i) => [i.type, i.isOrganizer])).toEqual([
      ['occurrence', false],
      ['exception', false],
      ['occurrence', false],
    ]);
    for (const instance of instances) {
      expect(instance.organizer).toEqual(MALLORY);
      assertConforms(model, 'event', instance, EVENT_OPTIONS);
    }
  });
});
