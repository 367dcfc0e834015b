/*
 * Outlook sandbox page: an appointment form in compose mode ("organizer") that hosts an Outlook add-in
 * the way Outlook on the web does. The page is the "host": add-in frames, the event runtime and dialogs
 * reach it through the stand-in office.js (postMessage), and it answers with the form's state.
 *
 * Test hooks: window.__outlookSandbox = { ready, item(), log, newAppointment() }. `log` records what
 * happened (commands run, launch events and their answers, dialogs, saves, sends) for tests to wait on.
 */
(() => {
  const MARK = '__roomlinkSandbox';
  const config = JSON.parse(document.getElementById('sandbox-config').textContent);
  const P = config.prefix;
  const addin = config.addin;
  const locale = config.displayLanguage;
  const french = locale.toLowerCase().startsWith('fr');

  const UI = french
    ? {
        save: 'Enregistrer',
        send: 'Envoyer',
        newEvent: 'Nouvel événement',
        title: 'Ajouter un titre',
        attendees: 'Inviter des participants',
        start: 'Début',
        end: 'Fin',
        repeat: 'Répéter',
        never: 'Ne pas répéter',
        daily: 'Tous les jours',
        weekday: 'Tous les jours ouvrés',
        weekly: 'Toutes les semaines',
        monthly: 'Tous les mois',
        until: 'Jusqu’au',
        location: 'Ajouter un lieu',
        addRoom: 'Réserver une salle',
        body: 'Ajoutez une description ou joignez des documents',
        close: 'Fermer',
        allow: 'Autoriser',
        ignore: 'Ignorer',
        wantsWindow: '{name} veut afficher une nouvelle fenêtre.',
        dontSend: 'Ne pas envoyer',
        sendAnyway: 'Envoyer quand même',
        saved: 'Enregistré',
        sent: 'Invitation envoyée',
        checking: '{name} vérifie votre rendez-vous…',
        commandFailed: '{name} n’a pas pu terminer cette action.',
        dismiss: 'Ignorer le message',
      }
    : {
        save: 'Save',
        send: 'Send',
        newEvent: 'New event',
        title: 'Add a title',
        attendees: 'Invite attendees',
        start: 'Start',
        end: 'End',
        repeat: 'Repeat',
        never: 'Don’t repeat',
        daily: 'Every day',
        weekday: 'Every weekday',
        weekly: 'Every week',
        monthly: 'Every month',
        until: 'Until',
        location: 'Add a location',
        addRoom: 'Book a room',
        body: 'Add a description or attach documents',
        close: 'Close',
        allow: 'Allow',
        ignore: 'Ignore',
        wantsWindow: '{name} wants to display a new window.',
        dontSend: 'Don’t send',
        sendAnyway: 'Send anyway',
        saved: 'Saved',
        sent: 'Invitation sent',
        checking: '{name} is checking your appointment…',
        commandFailed: '{name} couldn’t complete this action.',
        dismiss: 'Dismiss',
      };

  const localize = (text) => {
    if (!text) return '';
    if (text.overrides[locale]) return text.overrides[locale];
    const language = locale.split('-')[0].toLowerCase();
    const same = Object.entries(text.overrides).find(([l]) => l.split('-')[0].toLowerCase() === language);
    return same ? same[1] : text.default;
  };
  const addinName = localize(addin.displayName);
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? '');

  // ---------------------------------------------------------------------------------------------
  // State

  const log = [];
  const record = (type, detail) => log.push({ type, at: performance.now(), ...(detail || {}) });
  let seq = 0;
  // customProperties: the add-in's properties as last saved by any of its runtimes (what a save writes);
  // savedProperties: those the saved item holds (see 'item.customProperties.load'); sessionData: the
  // item's Office.SessionData, shared by the add-in's runtimes while the item is open.
  const item = { id: null, customProperties: null, savedProperties: null, sessionData: {}, sent: false };
  // Classic Outlook on Windows (the default): the JavaScript-only event runtime; runtime=browser emulates
  // Outlook on the web, new Outlook and Mac.
  const classic = config.runtime !== 'browser';
  const notifications = new Map();
  const frames = new Map();
  const dialogs = new Map();
  const invocations = new Map();

  // ---------------------------------------------------------------------------------------------
  // DOM

  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'testid') node.dataset.testid = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (k in node && typeof v !== 'string') node[k] = v;
      else node.setAttribute(k, v === true ? '' : v);
    }
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  const root = document.getElementById('sandbox');
  document.documentElement.lang = locale;

  const fields = {
    subject: h('input', { type: 'text', placeholder: UI.title, 'aria-label': UI.title, testid: 'subject' }),
    attendees: h('input', {
      type: 'text',
      placeholder: UI.attendees,
      'aria-label': UI.attendees,
      testid: 'attendees',
    }),
    start: h('input', { type: 'datetime-local', 'aria-label': UI.start, testid: 'start' }),
    end: h('input', { type: 'datetime-local', 'aria-label': UI.end, testid: 'end' }),
    repeat: h(
      'select',
      { 'aria-label': UI.repeat, testid: 'repeat' },
      ...['never', 'daily', 'weekday', 'weekly', 'monthly'].map((v) => h('option', { value: v }, UI[v])),
    ),
    until: h('input', { type: 'date', 'aria-label': UI.until, testid: 'repeat-until' }),
    location: h('input', {
      type: 'text',
      placeholder: UI.location,
      'aria-label': UI.location,
      testid: 'location',
    }),
    body: h('div', {
      contenteditable: 'true',
      role: 'textbox',
      'aria-multiline': 'true',
      'aria-label': UI.body,
      'data-placeholder': UI.body,
      testid: 'body',
      class: 'body-editor',
    }),
  };

  const notificationBar = h('div', {
    class: 'notifications',
    testid: 'notifications',
    'aria-live': 'polite',
  });
  const statusLine = h('span', { class: 'status', testid: 'status', role: 'status' });
  const taskpane = h('aside', { class: 'taskpane', hidden: true, testid: 'taskpane' });
  const hiddenFrames = h('div', { class: 'hidden-frames', 'aria-hidden': 'true' });
  const overlay = h('div', { class: 'overlay', hidden: true, testid: 'overlay' });

  const addinButtons = addin.buttons.map((button) =>
    h(
      'button',
      {
        type: 'button',
        class: 'ribbon-button addin',
        title: localize(button.tooltip),
        testid: `addin-button-${button.id}`,
        onclick: () => onAddinButton(button),
      },
      button.iconUrl ? h('img', { src: button.iconUrl, alt: '', width: '32', height: '32' }) : null,
      h('span', {}, localize(button.label)),
    ),
  );
  const saveButton = h(
    'button',
    { type: 'button', class: 'ribbon-button', testid: 'save', onclick: () => userSave() },
    UI.save,
  );
  const sendButton = h(
    'button',
    { type: 'button', class: 'ribbon-button primary', testid: 'send', onclick: () => send() },
    UI.send,
  );
  // Room Finder, reduced to one room: a location entry of type room, which an add-in must keep.
  const roomButton = h(
    'button',
    { type: 'button', class: 'ribbon-button', testid: 'add-room', onclick: () => addLocations([DEMO_ROOM]) },
    UI.addRoom,
  );
  const newButton = h(
    'button',
    { type: 'button', class: 'ribbon-button', testid: 'new-event', onclick: () => newAppointment() },
    UI.newEvent,
  );

  root.replaceChildren(
    h(
      'header',
      { class: 'suite' },
      h('strong', {}, 'Outlook'),
      h('span', { class: 'sandbox-tag' }, 'sandbox'),
      h('span', { class: 'user', testid: 'user' }, `${config.user.displayName} <${config.user.upn}>`),
    ),
    h(
      'div',
      { class: 'ribbon', role: 'toolbar' },
      sendButton,
      saveButton,
      newButton,
      h(
        'div',
        { class: 'ribbon-group', role: 'group', 'aria-label': localize(addin.groupLabel) || addinName },
        ...addinButtons,
        h('span', { class: 'group-label' }, localize(addin.groupLabel) || addinName),
      ),
      statusLine,
    ),
    h(
      'div',
      { class: 'workspace' },
      h(
        'main',
        { class: 'form' },
        notificationBar,
        h('div', { class: 'row' }, fields.subject),
        h('div', { class: 'row' }, fields.attendees),
        h(
          'div',
          { class: 'row times' },
          h('label', {}, UI.start, fields.start),
          h('label', {}, UI.end, fields.end),
          h('span', { class: 'tz', testid: 'time-zone' }, config.user.timeZone),
        ),
        h(
          'div',
          { class: 'row times' },
          h('label', {}, UI.repeat, fields.repeat),
          h('label', {}, UI.until, fields.until),
        ),
        h('div', { class: 'row location' }, fields.location, roomButton),
        fields.body,
      ),
      taskpane,
    ),
    hiddenFrames,
    overlay,
  );

  // ---------------------------------------------------------------------------------------------
  // The item <-> the form

  const pad = (n) => String(n).padStart(2, '0');
  const toLocalInput = (date) =>
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const localDate = (date) => `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const fromLocalInput = (value) => new Date(value);
  const startDate = () => fromLocalInput(fields.start.value);
  const endDate = () => fromLocalInput(fields.end.value);
  const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

  function recurrence() {
    const type = fields.repeat.value;
    if (type === 'never') return null;
    const start = startDate();
    const end = endDate();
    return {
      recurrenceType: type,
      interval: 1,
      ...(type === 'weekly' ? { days: [DAY_NAMES[start.getDay()]] } : {}),
      ...(type === 'monthly' ? { dayOfMonth: start.getDate() } : {}),
      startDate: localDate(start),
      endDate: fields.until.value || null,
      startTime: `${pad(start.getHours())}:${pad(start.getMinutes())}:00.000`,
      endTime: `${pad(end.getHours())}:${pad(end.getMinutes())}:00.000`,
      duration: Math.round((end - start) / 60000),
      timeZone: config.user.timeZone,
    };
  }

  function snapshot() {
    return {
      id: item.id,
      subject: fields.subject.value,
      start: startDate().toISOString(),
      end: endDate().toISOString(),
      location: fields.location.value,
      locations: locations.map((l) => ({ ...l })),
      body: fields.body.innerHTML,
      attendees: fields.attendees.value
        .split(/[;,]/)
        .map((a) => a.trim())
        .filter(Boolean),
      recurrence: recurrence(),
      customProperties: item.customProperties,
      notifications: [...notifications.entries()].map(([key, details]) => ({ key, ...details })),
      sent: item.sent,
    };
  }

  /** The item was saved (or closed): every runtime now sees the custom properties last saved. */
  function commitProperties() {
    item.savedProperties = item.customProperties;
    for (const frame of frames.values()) frame.customProperties = undefined;
  }

  function load(data) {
    item.id = data.id;
    item.customProperties = data.customProperties;
    item.sessionData = {};
    commitProperties();
    item.sent = false;
    fields.subject.value = data.subject;
    fields.attendees.value = data.attendees.join('; ');
    fields.start.value = toLocalInput(new Date(data.start));
    fields.end.value = toLocalInput(new Date(data.end));
    timesShown();
    fields.location.value = data.location;
    locations = data.locations ? data.locations.map((l) => ({ ...l })) : customEntry(data.location);
    fields.body.innerHTML = data.body;
    fields.repeat.value = data.recurrence ? data.recurrence.recurrenceType : 'never';
    fields.until.value = data.recurrence?.endDate ? data.recurrence.endDate : '';
    notifications.clear();
    renderNotifications();
  }

  function blankItem() {
    const start = new Date();
    start.setSeconds(0, 0);
    start.setMinutes(start.getMinutes() < 30 ? 30 : 60);
    return {
      id: null,
      subject: '',
      start: start.toISOString(),
      end: new Date(start.getTime() + 30 * 60000).toISOString(),
      location: '',
      body: '',
      attendees: [],
      recurrence: null,
      customProperties: null,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Start and end, as Outlook's appointment form keeps them: moving the start moves the end by the same
  // amount (the duration is kept, so a start moved past the end never makes a negative meeting);
  // changing the end alone changes the duration; an end before the start is not taken (Outlook's
  // pickers do not offer one): it goes back to the last valid end when the field is left. Every change,
  // by the user or through Office.js, is reported to the add-in (Office.EventType.AppointmentTimeChanged).
  // The sandbox has no all-day option.

  /** The times the form last showed as valid: the duration a moved start keeps is measured on them. */
  const shown = { start: '', end: '' };

  function timesShown() {
    shown.start = fields.start.value;
    shown.end = fields.end.value;
    fields.end.min = fields.start.value;
    fields.end.removeAttribute('aria-invalid');
  }

  // ---------------------------------------------------------------------------------------------
  // Locations (Mailbox 1.8's enhancedLocation): entries of type custom (text) or room (a mailbox). The
  // location line shows their display names joined by "; ". Typing in it, or location.setAsync, makes it
  // one custom entry in place of all the others, as Outlook does ("inserts the specified location
  // string as plain text, overwriting any existing location").

  const DEMO_ROOM = {
    type: 'room',
    id: `conference-room-4@${config.user.upn.split('@')[1]}`,
    displayName: 'Conference Room 4',
  };
  let locations = [];
  const customEntry = (text) => (text === '' ? [] : [{ type: 'custom', id: text, displayName: text }]);

  function locationIdentifiers(value) {
    const valid =
      Array.isArray(value) &&
      value.every(
        (l) => l && typeof l.id === 'string' && l.id !== '' && (l.type === 'custom' || l.type === 'room'),
      );
    if (!valid) throw hostError('InvalidFormatError', 'LocationIdentifier objects are expected.', 2000);
    return value.map((l) => ({ id: l.id, type: l.type }));
  }

  function showLocations() {
    fields.location.value = locations.map((l) => l.displayName).join('; ');
  }

  function addLocations(identifiers) {
    for (const { id, type } of identifiers) {
      if (locations.some((l) => l.id === id && l.type === type)) continue;
      const known = type === 'room' && id === DEMO_ROOM.id;
      locations.push(known ? { ...DEMO_ROOM } : { type, id, displayName: id });
    }
    showLocations();
  }

  function removeLocations(identifiers) {
    locations = locations.filter((l) => !identifiers.some((r) => r.id === l.id && r.type === l.type));
    showLocations();
  }

  fields.location.addEventListener('input', () => {
    locations = customEntry(fields.location.value);
  });

  function timesChanged() {
    timesShown();
    const times = { start: startDate().toISOString(), end: endDate().toISOString() };
    record('item.timeChanged', times);
    emitItemEvent('olkAppointmentTimeChanged', times);
  }

  fields.start.addEventListener('input', () => {
    const start = startDate();
    if (Number.isNaN(start.getTime())) return; // still being typed
    const duration = fromLocalInput(shown.end) - fromLocalInput(shown.start);
    fields.end.value = toLocalInput(new Date(start.getTime() + duration));
    timesChanged();
  });
  fields.end.addEventListener('input', () => {
    const end = endDate();
    if (Number.isNaN(end.getTime()) || end < startDate()) {
      fields.end.setAttribute('aria-invalid', 'true');
      return;
    }
    timesChanged();
  });
  fields.end.addEventListener('blur', () => {
    if (fields.end.value === shown.end) return;
    fields.end.value = shown.end;
    fields.end.removeAttribute('aria-invalid');
  });

  async function persist() {
    const data = snapshot();
    const body = JSON.stringify({ ...data, notifications: undefined, sent: undefined });
    const user = encodeURIComponent(config.user.upn);
    const response = item.id
      ? await fetch(`${P}/api/events/${encodeURIComponent(item.id)}?user=${user}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body,
        })
      : await fetch(`${P}/api/events?user=${user}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
    if (!response.ok)
      throw hostError('GenericResponseError', `saving failed (HTTP ${response.status})`, 9020);
    item.id = (await response.json()).id;
    commitProperties();
    const url = new URL(location.href);
    url.searchParams.set('event', item.id);
    history.replaceState(null, '', url);
    record('saved', { id: item.id });
    return item.id;
  }

  async function userSave() {
    try {
      await persist();
      statusLine.textContent = UI.saved;
    } catch (error) {
      statusLine.textContent = error.message;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Notification bar (item.notificationMessages)
  // Outlook's error names and codes are those of Office.js's OutlookErrorManager table (9010
  // InvalidEndTime, 9023 DuplicateNotificationKey, 9024 NotificationKeyNotFound, 9025
  // NumberOfNotificationsExceeded); the validation errors below carry no published code.

  const NOTIFICATION_TYPES = ['progressIndicator', 'informationalMessage', 'errorMessage', 'insightMessage'];

  function validateNotification(key, details) {
    if (typeof key !== 'string' || key.length === 0 || key.length > 32) {
      throw hostError('InvalidKey', 'The key must be 1 to 32 characters.', 9041);
    }
    if (!details || !NOTIFICATION_TYPES.includes(details.type)) {
      throw hostError('InvalidNotificationType', 'Unknown notification type.', 9041);
    }
    if (typeof details.message !== 'string' || details.message.length === 0 || details.message.length > 150) {
      throw hostError('MessageTooLong', 'The message must be 1 to 150 characters.', 9041);
    }
    if (details.type === 'informationalMessage' && (!details.icon || details.persistent === undefined)) {
      throw hostError('MissingIconOrPersistent', 'Informational messages need icon and persistent.', 9041);
    }
    if (details.type !== 'informationalMessage' && (details.icon || details.persistent !== undefined)) {
      throw hostError('InvalidParameter', 'Only informational messages take icon and persistent.', 9041);
    }
  }

  function renderNotifications() {
    notificationBar.replaceChildren(
      ...[...notifications.entries()].map(([key, n]) =>
        h(
          'div',
          { class: `notification ${n.type}`, testid: 'notification', 'data-key': key, 'data-type': n.type },
          n.type === 'progressIndicator' ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
          h('span', { class: 'message' }, n.message),
          n.type === 'informationalMessage' && !n.persistent
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'dismiss',
                  'aria-label': UI.dismiss,
                  onclick: () => {
                    notifications.delete(key);
                    renderNotifications();
                  },
                },
                '×',
              )
            : null,
        ),
      ),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Body

  const bodyHtml = () => `<html><body>${fields.body.innerHTML}</body></html>`;
  const innerOf = (html) => {
    const match = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html);
    return match ? match[1] : html;
  };
  const textToHtml = (text) =>
    String(text)
      .replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`)
      .replace(/\r?\n/g, '<br>');
  // Body.setAsync, prependAsync and setSelectedDataAsync: "DataExceedsMaximumSize: The data parameter
  // is longer than 1,000,000 characters" (Office.js reference); the whole write is refused.
  const MAX_BODY = 1000000;

  function fragmentOf(data, coercionType) {
    if (String(data).length > MAX_BODY)
      throw hostError('DataExceedsMaximumSize', 'The data is too large.', DATA_TOO_LARGE);
    return coercionType === 'html' ? innerOf(String(data)) : textToHtml(data);
  }

  function insertAtSelection(html) {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || !fields.body.contains(selection.anchorNode)) {
      fields.body.insertAdjacentHTML('afterbegin', html);
      return;
    }
    const range = selection.getRangeAt(0);
    range.deleteContents();
    range.insertNode(range.createContextualFragment(html));
  }

  // ---------------------------------------------------------------------------------------------
  // Office.js calls from the add-in

  // Microsoft documents DataExceedsMaximumSize by name only. Its code is the Common API's for data
  // over an application's limit, 2009 ("The specified data object is too large."), not 1000 (an
  // unsupported coercion type).
  const DATA_TOO_LARGE = 2009;

  function hostError(name, message, code) {
    const e = new Error(message);
    e.name = name;
    e.code = code;
    return e;
  }

  const ITEM_EVENTS = ['olkAppointmentTimeChanged'];

  /** Tells every add-in frame and runtime that has a handler for `eventType` (item.addHandlerAsync). */
  function emitItemEvent(eventType, args) {
    for (const frame of frames.values()) {
      if (frame.itemEvents.has(eventType)) frame.post({ [MARK]: 1, kind: 'item-event', eventType, args });
    }
  }

  const storageKey = `roomlink-sandbox:${addin.id}:storage`;
  const readStorage = () => JSON.parse(localStorage.getItem(storageKey) || '{}');
  const writeStorage = (values) => localStorage.setItem(storageKey, JSON.stringify(values));

  function setField(input, value, max) {
    if (typeof value !== 'string') throw hostError('InvalidFormatError', 'A string is expected.', 2000);
    if (value.length > max)
      throw hostError('DataExceedsMaximumSize', `At most ${max} characters.`, DATA_TOO_LARGE);
    input.value = value;
  }

  const calls = {
    init: (frame) => ({
      displayLanguage: locale,
      itemId: item.id,
      frameKind: frame.kind,
      // Classic Outlook on Windows (the default JavaScript-only event runtime) gives its task pane and
      // commands OfficeRuntime.storage; Outlook on the web (runtime=browser) gives no frame of it.
      officeRuntimeStorage: config.runtime !== 'browser' && frame.kind !== 'runtime',
      userProfile: {
        displayName: config.user.displayName,
        emailAddress: config.user.upn,
        timeZone: config.user.timeZone,
        accountType: 'enterprise',
      },
    }),
    ready: (frame, args) => {
      frame.actions = args.actions || [];
      frame.markReady();
      record('frame.ready', { kind: frame.kind, frameId: frame.id });
    },
    'item.subject.get': () => fields.subject.value,
    'item.subject.set': (_, args) => setField(fields.subject, args.value, 255),
    'item.location.get': () => fields.location.value,
    'item.location.set': (_, args) => {
      setField(fields.location, args.value, 255);
      locations = customEntry(args.value);
    },
    'item.enhancedLocation.get': () =>
      locations.map((l) => ({
        locationIdentifier: { id: l.id, type: l.type },
        displayName: l.displayName,
        ...(l.type === 'room' ? { emailAddress: l.id } : {}),
      })),
    'item.enhancedLocation.add': (_, args) => addLocations(locationIdentifiers(args.locationIdentifiers)),
    'item.enhancedLocation.remove': (_, args) =>
      removeLocations(locationIdentifiers(args.locationIdentifiers)),
    'item.start.get': () => startDate().toISOString(),
    'item.start.set': (_, args) => {
      // Outlook keeps the duration when the start moves.
      const duration = fromLocalInput(shown.end) - fromLocalInput(shown.start);
      const start = new Date(args.value);
      if (Number.isNaN(start.getTime())) throw hostError('InvalidFormatError', 'A Date is expected.', 2000);
      fields.start.value = toLocalInput(start);
      fields.end.value = toLocalInput(new Date(start.getTime() + duration));
      timesChanged();
    },
    'item.end.get': () => endDate().toISOString(),
    'item.end.set': (_, args) => {
      const end = new Date(args.value);
      if (Number.isNaN(end.getTime())) throw hostError('InvalidFormatError', 'A Date is expected.', 2000);
      if (end < startDate())
        throw hostError('InvalidEndTime', 'The end time is before the start time.', 9010);
      fields.end.value = toLocalInput(end);
      timesChanged();
    },
    // Item events (Mailbox 1.7): the sandbox raises AppointmentTimeChanged; others are refused rather
    // than accepted and never raised.
    'item.addHandler': (frame, args) => {
      if (!ITEM_EVENTS.includes(args.eventType))
        throw hostError('NotSupported', `The sandbox does not raise ${args.eventType}.`, 5009);
      frame.itemEvents.add(args.eventType);
    },
    'item.removeHandler': (frame, args) => {
      frame.itemEvents.delete(args.eventType);
    },
    'item.body.getType': () => 'html',
    'item.body.get': (_, args) => {
      if (args.coercionType === 'html') return bodyHtml();
      // innerText, not textContent: Outlook's text form keeps the line breaks the user sees.
      // biome-ignore lint/performance/useDomNodeTextContent: see above
      if (args.coercionType === 'text') return fields.body.innerText;
      throw hostError('InvalidCoercionType', 'Use html or text.', 1000);
    },
    'item.body.set': (_, args) => {
      fields.body.innerHTML = fragmentOf(args.data, args.coercionType);
    },
    'item.body.prepend': (_, args) => {
      fields.body.insertAdjacentHTML('afterbegin', fragmentOf(args.data, args.coercionType));
    },
    'item.body.setSelectedData': (_, args) => insertAtSelection(fragmentOf(args.data, args.coercionType)),
    'item.recurrence.get': () => recurrence(),
    // "In classic Outlook on Windows, custom properties saved while in compose mode only persist after
    // the item being composed is closed or after Office.context.mailbox.item.saveAsync is called"
    // (learn.microsoft.com/office/dev/add-ins/outlook/metadata-for-an-outlook-add-in). Emulating classic
    // Outlook, a runtime sees what it saved itself, and otherwise what the item held when it was last
    // saved or opened; Save, Send, item.saveAsync and closing the item (New event) make the last saved
    // properties everyone's. Outlook on the web (runtime=browser) shows every runtime the last saved.
    'item.customProperties.load': (frame) =>
      (classic ? (frame.customProperties ?? item.savedProperties) : item.customProperties) || {},
    'item.customProperties.save': (frame, args) => {
      const json = JSON.stringify(args.properties || {});
      // Outlook keeps at most 2,500 characters of custom properties per add-in and item.
      if (json.length > 2500)
        throw hostError('ItemNotSaved', 'Custom properties exceed 2,500 characters.', 9041);
      item.customProperties = JSON.parse(json);
      frame.customProperties = JSON.parse(json);
      record('customProperties.saved', { properties: item.customProperties, frameKind: frame.kind });
    },
    // Office.SessionData (Mailbox 1.11): "specific to a single mail item", shared by the add-in's
    // runtimes, gone when the item is closed; string values, 50,000 characters
    // per add-in (learn.microsoft.com/javascript/api/outlook/office.sessiondata). A key never set
    // answers null.
    'item.sessionData.get': (_, args) => item.sessionData[String(args.name)] ?? null,
    'item.sessionData.getAll': () => ({ ...item.sessionData }),
    'item.sessionData.set': (frame, args) => {
      if (typeof args.name !== 'string' || args.name === '' || typeof args.value !== 'string')
        throw hostError('InvalidFormatError', 'A string key and a string value are expected.', 2000);
      const next = { ...item.sessionData, [args.name]: args.value };
      const size = Object.entries(next).reduce((n, [k, v]) => n + k.length + v.length, 0);
      if (size > 50000)
        throw hostError('DataExceedsMaximumSize', 'Session data exceeds 50,000 characters.', DATA_TOO_LARGE);
      item.sessionData = next;
      record('sessionData.set', { name: args.name, frameKind: frame.kind });
    },
    'item.sessionData.remove': (_, args) => {
      delete item.sessionData[String(args.name)];
    },
    'item.sessionData.clear': () => {
      item.sessionData = {};
    },
    'item.save': () => persist(),
    'item.notifications.add': (_, args) => {
      validateNotification(args.key, args.details);
      if (notifications.has(args.key))
        throw hostError('DuplicateNotificationKey', 'The key is already used.', 9023);
      if (notifications.size >= 5) throw hostError('NumberOfNotificationsExceeded', 'At most 5.', 9025);
      notifications.set(args.key, args.details);
      renderNotifications();
    },
    'item.notifications.replace': (_, args) => {
      validateNotification(args.key, args.details);
      notifications.set(args.key, args.details);
      renderNotifications();
      record('notification', { key: args.key, ...args.details });
    },
    'item.notifications.remove': (_, args) => {
      if (!notifications.delete(args.key))
        throw hostError('NotificationKeyNotFound', 'No notification has this key.', 9024);
      renderNotifications();
    },
    'item.notifications.getAll': () => [...notifications.entries()].map(([key, d]) => ({ key, ...d })),
    'ui.displayDialog': (frame, args) => openDialog(frame, args),
    'ui.closeDialog': (_, args) => closeDialog(args.dialogId, true),
    'ui.messageChild': (_, args) => {
      const dialog = dialogs.get(args.dialogId);
      if (dialog?.window)
        dialog.window.postMessage(
          { [MARK]: 1, kind: 'parent-message', message: args.message, origin: location.origin },
          '*',
        );
    },
    'ui.closeContainer': (frame) => {
      if (frame.kind === 'taskpane') closeTaskpane();
    },
    'storage.getItem': (_, args) => readStorage()[args.key] ?? null,
    'storage.setItem': (_, args) => writeStorage({ ...readStorage(), [args.key]: args.value }),
    'storage.removeItem': (_, args) => {
      const values = readStorage();
      delete values[args.key];
      writeStorage(values);
    },
    'storage.getItems': (_, args) => Object.fromEntries(args.keys.map((k) => [k, readStorage()[k] ?? null])),
    'storage.setItems': (_, args) => writeStorage({ ...readStorage(), ...args.values }),
    'storage.removeItems': (_, args) => {
      const values = readStorage();
      for (const k of args.keys) delete values[k];
      writeStorage(values);
    },
    'storage.getKeys': () => Object.keys(readStorage()),
    'event.completed': (_, args) => {
      const pendingInvocation = invocations.get(args.invocationId);
      if (pendingInvocation) pendingInvocation.resolve(args.options || {});
    },
    'event.failed': (_, args) => {
      const pendingInvocation = invocations.get(args.invocationId);
      if (pendingInvocation) pendingInvocation.reject(new Error(args.message));
    },
  };

  async function handleCall(frame, data, reply) {
    const fn = calls[data.method];
    try {
      if (!fn) throw hostError('NotSupported', `${data.method} is not supported by the sandbox`, 5009);
      if (frame.kind === 'runtime' && data.method === 'ui.displayDialog') {
        throw hostError('NotSupported', 'Dialogs are not available in the event runtime.', 5009);
      }
      const value = await fn(frame, data.args || {});
      reply({ [MARK]: 1, kind: 'result', id: data.id, value });
    } catch (error) {
      reply({
        [MARK]: 1,
        kind: 'result',
        id: data.id,
        error: {
          name: error.name || 'GenericResponseError',
          message: error.message,
          code: error.code || 9020,
        },
      });
    }
  }

  window.addEventListener('message', (event) => {
    const data = event.data;
    if (data?.[MARK] !== 1) return;
    const replyTo = (message) =>
      event.source.postMessage(message, event.origin === 'null' ? '*' : event.origin);
    if (data.kind === 'call') {
      const frame = frames.get(data.frame);
      if (!frame || frame.window !== event.source) return; // only our own frames
      handleCall(frame, data, replyTo);
    } else if (data.kind === 'dialog-message') {
      const dialog = [...dialogs.values()].find((d) => d.window === event.source);
      if (!dialog) return;
      record('dialog.message', { dialogId: dialog.id });
      dialog.owner.post({
        [MARK]: 1,
        kind: 'dialog-event',
        dialogId: dialog.id,
        type: 'message',
        message: data.message,
        origin: event.origin,
      });
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Add-in frames and runtimes

  function register(id, kind, post, extra) {
    let markReady;
    let failReady;
    const ready = new Promise((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    ready.catch(() => undefined);
    const frame = {
      id,
      kind,
      post,
      ready,
      markReady,
      failReady,
      actions: [],
      itemEvents: new Set(),
      ...(extra || {}),
    };
    frames.set(id, frame);
    return frame;
  }

  function createFrame(kind, url, container, attrs) {
    const id = `${kind}-${++seq}`;
    const iframe = h('iframe', {
      name: `roomlink-sandbox-frame|${id}|${location.origin}`,
      title: addinName,
      testid: `${kind}-frame`,
      ...(attrs || {}),
    });
    const frame = register(id, kind, (message) => iframe.contentWindow.postMessage(message, '*'), {
      element: iframe,
    });
    container.append(iframe);
    frame.window = iframe.contentWindow;
    iframe.src = url;
    frame.dispose = () => {
      iframe.remove();
      frames.delete(frame.id);
    };
    return frame;
  }

  function createWorkerRuntime() {
    const script = new URL(addin.runtime.scriptUrl, location.href).href;
    const office = new URL(`${P}/office.js`, location.href).href;
    const worker = new Worker(
      `${P}/js-runtime.js?office=${encodeURIComponent(office)}&script=${encodeURIComponent(script)}`,
    );
    const frame = register(`runtime-${++seq}`, 'runtime', (message) => worker.postMessage(message));
    frame.window = worker;
    worker.addEventListener('message', (event) => {
      const data = event.data;
      if (data?.[MARK] !== 1) return;
      if (data.kind === 'runtime-error') frame.failReady(new Error(data.message));
      else if (data.kind === 'call') handleCall(frame, data, (message) => worker.postMessage(message));
    });
    worker.addEventListener('error', (event) => frame.failReady(new Error(event.message || 'runtime error')));
    frame.dispose = () => {
      worker.terminate();
      frames.delete(frame.id);
    };
    return frame;
  }

  function withTimeout(promise, ms, message) {
    let timer;
    return Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Runs a function of the add-in in a frame or runtime, resolving with what it passed to event.completed. */
  async function invokeIn(frame, name, eventType, controlId) {
    await withTimeout(frame.ready, 60000, 'the add-in did not load');
    const invocationId = `invocation-${++seq}`;
    const done = new Promise((resolve, reject) => invocations.set(invocationId, { resolve, reject }));
    frame.post({ [MARK]: 1, kind: 'invoke', invocationId, name, eventType, controlId });
    try {
      // Outlook gives up on a handler after five minutes.
      return await withTimeout(done, 300000, 'the add-in did not complete');
    } finally {
      invocations.delete(invocationId);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Ribbon: function commands and the task pane

  async function onAddinButton(button) {
    if (button.action.type === 'ShowTaskpane') return openTaskpane(button);
    record('command.start', { controlId: button.id });
    const frame = createFrame('function', addin.functionFileUrl, hiddenFrames);
    try {
      await invokeIn(frame, button.action.functionName, 'command', button.id);
      record('command.completed', { controlId: button.id });
    } catch (error) {
      record('command.failed', { controlId: button.id, message: error.message });
      statusLine.textContent = fill(UI.commandFailed, { name: addinName });
    } finally {
      // Function files are short-lived: unloaded once the command completes. An open dialog keeps it.
      if (![...dialogs.values()].some((d) => d.owner === frame)) frame.dispose();
      else frame.disposeAfterDialogs = true;
    }
  }

  function openTaskpane(button) {
    if (!taskpane.hidden && taskpane.dataset.url === button.action.url) return;
    closeTaskpane();
    taskpane.dataset.url = button.action.url;
    taskpane.hidden = false;
    const header = h(
      'div',
      { class: 'taskpane-header' },
      h('span', {}, localize(button.label)),
      h(
        'button',
        {
          type: 'button',
          class: 'close',
          'aria-label': UI.close,
          testid: 'taskpane-close',
          onclick: closeTaskpane,
        },
        '×',
      ),
    );
    taskpane.replaceChildren(header);
    const frame = createFrame('taskpane', button.action.url, taskpane);
    taskpane.frame = frame;
    record('taskpane.opened', { controlId: button.id });
  }

  function closeTaskpane() {
    if (taskpane.frame) taskpane.frame.dispose();
    taskpane.frame = null;
    taskpane.hidden = true;
    taskpane.dataset.url = '';
    taskpane.replaceChildren();
  }

  // ---------------------------------------------------------------------------------------------
  // Dialogs (displayDialogAsync)

  const DIALOG = { invalidUrl: 12002, alreadyOpen: 12007, ignored: 12009, closedByUser: 12006 };

  function openDialog(owner, request) {
    let url;
    try {
      url = new URL(request.url, location.href);
    } catch {
      throw hostError('InvalidUrl', 'The dialog URL is not valid.', DIALOG.invalidUrl);
    }
    if (!/^https?:$/.test(url.protocol))
      throw hostError('InvalidUrl', 'The dialog URL must be http(s).', DIALOG.invalidUrl);
    if (url.href.startsWith(config.addinFolder))
      url = new URL(`${P}/addin/${url.href.slice(config.addinFolder.length)}`, location.href);
    if ([...dialogs.values()].some((d) => d.owner === owner)) {
      throw hostError(
        'DialogAlreadyOpen',
        'A dialog is already open from this add-in frame.',
        DIALOG.alreadyOpen,
      );
    }
    const id = `dialog-${++seq}`;
    const name = `roomlink-sandbox-dialog|${id}|${location.origin}`;
    const dialog = { id, owner, window: null, element: null, closedByAddin: false };
    const percent = (value, total) => Math.round(((Number(value) || 50) / 100) * total);

    if (request.displayInIframe) {
      const iframe = h('iframe', { name, src: url.href, testid: 'dialog-frame', title: addinName });
      const box = h(
        'div',
        {
          class: 'dialog-box',
          role: 'dialog',
          'aria-label': addinName,
          style: `width:${percent(request.width, innerWidth)}px;height:${percent(request.height, innerHeight)}px`,
        },
        h(
          'button',
          { type: 'button', class: 'close', 'aria-label': UI.close, onclick: () => closeDialog(id, false) },
          '×',
        ),
        iframe,
      );
      showOverlay(box);
      dialog.element = box;
      dialog.window = iframe.contentWindow;
      dialogs.set(id, dialog);
      record('dialog.opened', { dialogId: id, url: url.href, iframe: true });
      return id;
    }

    const features = `popup,width=${percent(request.width, screen.availWidth)},height=${percent(request.height, screen.availHeight)}`;
    const open = () => {
      const win = window.open(url.href, name, features);
      if (!win) throw hostError('PopupBlocked', 'The browser blocked the dialog window.', DIALOG.ignored);
      dialog.window = win;
      dialogs.set(id, dialog);
      dialog.watch = setInterval(() => {
        if (!win.closed) return;
        clearInterval(dialog.watch);
        if (!dialog.closedByAddin) closeDialog(id, false);
      }, 250);
      record('dialog.opened', { dialogId: id, url: url.href, iframe: false });
      return id;
    };
    // Outlook on the web asks before opening a window that the browser would block (no user gesture).
    if (navigator.userActivation?.isActive) return open();
    return new Promise((resolve, reject) => {
      const allow = h(
        'button',
        {
          type: 'button',
          class: 'primary',
          testid: 'dialog-allow',
          onclick: () => {
            hideOverlay();
            try {
              resolve(open());
            } catch (error) {
              reject(error);
            }
          },
        },
        UI.allow,
      );
      const ignore = h(
        'button',
        {
          type: 'button',
          testid: 'dialog-ignore',
          onclick: () => {
            hideOverlay();
            reject(hostError('DialogIgnored', 'The user ignored the dialog.', DIALOG.ignored));
          },
        },
        UI.ignore,
      );
      showOverlay(
        h(
          'div',
          { class: 'prompt', role: 'alertdialog', testid: 'dialog-prompt' },
          h('p', {}, fill(UI.wantsWindow, { name: addinName })),
          h('div', { class: 'actions' }, allow, ignore),
        ),
      );
      record('dialog.prompt', {});
    });
  }

  function closeDialog(id, byAddin) {
    const dialog = dialogs.get(id);
    if (!dialog) return;
    dialogs.delete(id);
    dialog.closedByAddin = byAddin;
    clearInterval(dialog.watch);
    if (dialog.element) {
      dialog.element.remove();
      hideOverlay();
    } else if (dialog.window && !dialog.window.closed) {
      dialog.window.close();
    }
    record('dialog.closed', { dialogId: id, byAddin });
    if (!byAddin) {
      dialog.owner.post({
        [MARK]: 1,
        kind: 'dialog-event',
        dialogId: id,
        type: 'event',
        error: DIALOG.closedByUser,
      });
    }
    if (dialog.owner.disposeAfterDialogs) dialog.owner.dispose();
  }

  function showOverlay(content) {
    overlay.replaceChildren(content);
    overlay.hidden = false;
  }

  function hideOverlay() {
    overlay.hidden = true;
    overlay.replaceChildren();
  }

  // ---------------------------------------------------------------------------------------------
  // Event-based activation

  /** Runs a LaunchEvent handler in a fresh short-lived runtime; `ran` is false if the add-in could not run. */
  async function launch(type) {
    const declared = addin.launchEvents.find((e) => e.type === type);
    if (!declared || !addin.runtime) return { ran: false, declared: false };
    const runtime =
      config.runtime === 'browser' || !addin.runtime.scriptUrl
        ? createFrame('runtime', addin.runtime.pageUrl, hiddenFrames)
        : createWorkerRuntime();
    record('launch.start', { event: type });
    try {
      const options = await invokeIn(runtime, declared.functionName, type, null);
      record('launch.completed', { event: type, options });
      return { ran: true, declared, options };
    } catch (error) {
      record('launch.failed', { event: type, message: error.message });
      return { ran: false, declared, error };
    } finally {
      runtime.dispose();
    }
  }

  let sending = false;
  async function send() {
    if (sending) return;
    sending = true;
    sendButton.disabled = true;
    try {
      statusLine.textContent = fill(UI.checking, { name: addinName });
      const check = await launch('OnAppointmentSend');
      statusLine.textContent = '';
      if (check.ran && check.options.allowEvent === false) {
        const sendMode = check.declared.sendMode || 'SoftBlock';
        const proceed = await smartAlert(check.options.errorMessage || '', sendMode);
        if (!proceed) {
          record('send.blocked', { message: check.options.errorMessage });
          return;
        }
      }
      // SoftBlock and PromptUser send when the add-in could not run; Block does not.
      if (!check.ran && check.declared && check.declared.sendMode === 'Block') {
        record('send.blocked', { message: 'add-in unavailable' });
        return;
      }
      await persist();
      item.sent = true;
      statusLine.textContent = UI.sent;
      record('send.sent', { id: item.id });
    } catch (error) {
      statusLine.textContent = error.message;
    } finally {
      sending = false;
      sendButton.disabled = false;
    }
  }

  function smartAlert(message, sendMode) {
    return new Promise((resolve) => {
      const buttons = [
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            testid: 'smart-alert-dont-send',
            onclick: () => {
              hideOverlay();
              resolve(false);
            },
          },
          UI.dontSend,
        ),
      ];
      if (sendMode === 'PromptUser') {
        buttons.push(
          h(
            'button',
            {
              type: 'button',
              testid: 'smart-alert-send-anyway',
              onclick: () => {
                hideOverlay();
                resolve(true);
              },
            },
            UI.sendAnyway,
          ),
        );
      }
      showOverlay(
        h(
          'div',
          { class: 'prompt smart-alert', role: 'alertdialog', testid: 'smart-alert' },
          h('h2', {}, addinName),
          h('p', { testid: 'smart-alert-message' }, message),
          h('div', { class: 'actions' }, ...buttons),
        ),
      );
      record('send.alert', { message });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Opening an appointment

  async function newAppointment() {
    closeTaskpane();
    hideOverlay();
    load(blankItem());
    statusLine.textContent = '';
    const url = new URL(location.href);
    url.searchParams.delete('event');
    history.replaceState(null, '', url);
    record('item.new', {});
    await launch('OnNewAppointmentOrganizer');
  }

  async function registerServiceWorker() {
    if (!('serviceWorker' in navigator)) return;
    try {
      await navigator.serviceWorker.register(`${P}/sw.js`, { scope: '/' });
      await withTimeout(navigator.serviceWorker.ready, 10000, 'service worker not ready');
    } catch (error) {
      record('serviceWorker.failed', { message: error.message });
    }
  }

  const ready = (async () => {
    await registerServiceWorker();
    if (config.eventId) {
      const response = await fetch(
        `${P}/api/events/${encodeURIComponent(config.eventId)}?user=${encodeURIComponent(config.user.upn)}`,
      );
      if (response.ok) {
        load(await response.json());
        record('item.opened', { id: item.id });
        root.setAttribute('aria-busy', 'false');
        return;
      }
    }
    load(blankItem());
    root.setAttribute('aria-busy', 'false');
    record('item.new', {});
    // OnNewAppointmentOrganizer runs in the background, as in Outlook: the form is usable meanwhile.
    launch('OnNewAppointmentOrganizer');
  })();

  window.__outlookSandbox = { ready, item: snapshot, log, newAppointment, send, save: persist };
})();
