/**
 * The Outlook sandbox in demo mode: the sandbox saves appointments into the Graph emulator's
 * mailboxes (as Outlook saves into Exchange), so the calendar sync sees them through Graph.
 */
import { addinIdFor, generateManifest } from '@roomlink/addin';
import {
  customPropertiesPropertyId,
  type GraphEmulator,
  type IdentityEmulator,
  registerSandbox,
  type SandboxCalendar,
  type SandboxEvent,
} from '@roomlink/emulators';
import type { FastifyInstance } from 'fastify';

export async function mountSandbox(
  app: FastifyInstance,
  options: { baseUrl: URL; version: string; identity: IdentityEmulator; graph: GraphEmulator },
): Promise<void> {
  const base = options.baseUrl.toString();
  const addinId = addinIdFor(base);
  for (const user of options.identity.users()) {
    options.graph.upsertUser({ oid: user.oid, displayName: user.name, mail: user.upn });
  }
  await registerSandbox(app, {
    prefix: '/sandbox',
    addinBaseUrl: base,
    manifestXml: generateManifest({ baseUrl: base, version: options.version }),
    graph: graphCalendar(options.identity, options.graph, addinId),
  });
}

/** The sandbox's calendar port over the Graph emulator: users by UPN, custom properties as Graph keeps them. */
function graphCalendar(identity: IdentityEmulator, graph: GraphEmulator, addinId: string): SandboxCalendar {
  const oidOf = (upn: string): string => {
    const user = identity.users().find((u) => u.upn.toLowerCase() === upn.toLowerCase());
    if (!user) throw new Error(`no test user ${upn}`);
    return user.oid;
  };
  const view = (event: object, upn: string, id: string): SandboxEvent => {
    const properties = graph.getCustomProperties(oidOf(upn), id, addinId);
    return {
      ...(event as SandboxEvent),
      singleValueExtendedProperties: properties
        ? [{ id: customPropertiesPropertyId(addinId), value: JSON.stringify(properties) }]
        : [],
    };
  };
  return {
    listUsers: async () => identity.users().map((u) => ({ upn: u.upn, displayName: u.name })),
    createEvent: async (upn, input) => {
      const event = graph.createEvent(oidOf(upn), input as Parameters<GraphEmulator['createEvent']>[1]);
      return view(event, upn, event.id);
    },
    updateEvent: async (upn, id, input) => {
      const event = graph.updateEvent(oidOf(upn), id, input as Parameters<GraphEmulator['updateEvent']>[2]);
      return view(event, upn, event.id);
    },
    getEvent: async (upn, id) => {
      const event = graph.getEvent(oidOf(upn), id);
      return event ? view(event, upn, id) : null;
    },
  };
}
