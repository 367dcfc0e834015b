/**
 * The appointment's location as a list of entries, whichever way the client keeps it.
 *
 * Outlook with Mailbox 1.8 (on the web, new and classic Windows, Mac) keeps locations as separate
 * entries (`enhancedLocation`): a room booked with Room Finder is an entry of type `room` with its
 * address. `location.setAsync` would replace every entry with one line of plain text, so the room
 * would stay booked but no longer be a room in the appointment. There Roomlink adds and removes only
 * its own entry, of type `custom`. Older clients and Outlook mobile have one line of text with
 * entries separated by "; " (location.ts).
 */
import { readLocation, writeLocation } from './item.js';
import { appendLocation, MAX_LOCATION_LENGTH, removeLocationEntry, splitLocation } from './location.js';
import {
  type AppointmentComposeLike,
  type LocationDetailsLike,
  type LocationIdentifierLike,
  type OfficeLike,
  officeCall,
} from './office.js';

export interface LocationField {
  /** The entries: a custom location's text, a room's display name. */
  entries(): Promise<string[]>;
  /** Adds `entry` after the others; false when it is listed already or there is no room for it. */
  add(entry: string): Promise<boolean>;
  /** Takes `entry` out and leaves every other entry as it was; false when it was not listed. */
  remove(entry: string): Promise<boolean>;
}

export function locationField(office: OfficeLike, item: AppointmentComposeLike): LocationField {
  const enhanced = item.enhancedLocation;
  const supported = office.context.requirements?.isSetSupported('Mailbox', '1.8') ?? false;
  return enhanced && supported ? entryList(enhanced, textLine(item)) : textLine(item);
}

function entryList(
  api: NonNullable<AppointmentComposeLike['enhancedLocation']>,
  line: LocationField,
): LocationField {
  const custom = (entry: string): LocationIdentifierLike[] => [{ id: entry, type: 'custom' }];
  const details = () => officeCall<LocationDetailsLike[]>((cb) => api.getAsync(cb));
  const customIds = async () =>
    (await details())
      .filter((l) => l.locationIdentifier.type === 'custom')
      .map((l) => l.locationIdentifier.id);
  // A custom entry written as one line by an older client ("Room 4; https://…") counts by its parts.
  const entries = async () =>
    (await details()).flatMap((l) =>
      l.locationIdentifier.type === 'custom' ? splitLocation(l.locationIdentifier.id) : [l.displayName],
    );
  return {
    entries,
    async add(entry) {
      if (entry.length > MAX_LOCATION_LENGTH || (await entries()).includes(entry)) return false;
      await officeCall<void>((cb) => api.addAsync(custom(entry), cb));
      return true;
    },
    async remove(entry) {
      if (entry === '') return false;
      if ((await customIds()).includes(entry)) {
        await officeCall<void>((cb) => api.removeAsync(custom(entry), cb));
        return true;
      }
      // Added by an older client, inside one line of text: only rewriting that line takes it out.
      return line.remove(entry);
    },
  };
}

function textLine(item: AppointmentComposeLike): LocationField {
  const rewrite = async (change: (location: string) => string) => {
    const location = await readLocation(item);
    const changed = change(location);
    if (changed === location) return false;
    await writeLocation(item, changed);
    return true;
  };
  return {
    entries: async () => splitLocation(await readLocation(item)),
    add: (entry) => rewrite((location) => appendLocation(location, entry)),
    remove: (entry) => rewrite((location) => removeLocationEntry(location, entry)),
  };
}
