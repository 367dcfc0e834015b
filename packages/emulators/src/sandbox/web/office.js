/*
 * Outlook sandbox: a stand-in for Microsoft's office.js (https://appsforoffice.microsoft.com/lib/1/hosted/office.js).
 *
 * It implements the Mailbox API surface an appointment-organizer add-in uses, talking to the sandbox page
 * (the "host") over postMessage, as the real office.js talks to Outlook on the web:
 *  - in an add-in frame (task pane, function file, browser event runtime): window.name is
 *    `roomlink-sandbox-frame|<frame id>|<host origin>` and the host is window.parent;
 *  - in a Worker (the JavaScript-only event runtime of classic Outlook): the host is the worker's owner;
 *  - in a dialog (displayDialogAsync): window.name is `roomlink-sandbox-dialog|<dialog id>|<host origin>`
 *    and the host is window.opener (popup) or window.parent (displayInIframe); only messageParent works.
 * Outside the sandbox, Office.onReady resolves with host and platform null, like office.js outside Office.
 *
 * Values follow Office.js at run time: enumerations are strings ('succeeded', 'html', ...), callbacks get
 * an AsyncResult {status, value, error: {name, message, code}, asyncContext}.
 */
(() => {
  const MARK = '__roomlinkSandbox';
  const scope = typeof self !== 'undefined' ? self : globalThis;
  const isWorker = typeof WorkerGlobalScope !== 'undefined' && scope instanceof WorkerGlobalScope;

  // ---------------------------------------------------------------------------------------------
  // Where the host is

  let channel = null;
  if (isWorker) {
    channel = { kind: 'runtime', id: 'worker', post: (m) => scope.postMessage(m) };
  } else {
    const parts = String(scope.name || '').split('|');
    if (parts[0] === 'roomlink-sandbox-frame' && scope.parent !== scope) {
      channel = { kind: 'frame', id: parts[1], post: (m) => scope.parent.postMessage(m, parts[2] || '*') };
    } else if (parts[0] === 'roomlink-sandbox-dialog') {
      const target = scope.opener || (scope.parent !== scope ? scope.parent : null);
      if (target)
        channel = { kind: 'dialog', id: parts[1], post: (m) => target.postMessage(m, parts[2] || '*') };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Calls to the host

  let nextId = 1;
  const pending = new Map();
  function hostCall(method, args) {
    if (!channel) return Promise.reject(officeError('GenericResponseError', 'Not running in Outlook', 9020));
    return new Promise((resolve, reject) => {
      const id = `${channel.id}:${nextId++}`;
      pending.set(id, { resolve, reject });
      channel.post({ [MARK]: 1, kind: 'call', frame: channel.id, id, method, args: args || {} });
    });
  }

  function officeError(name, message, code) {
    const e = new Error(message);
    e.name = name;
    e.code = code;
    return e;
  }

  function asyncResult(status, value, error, asyncContext) {
    return {
      status,
      value,
      error: error ? { name: error.name, message: error.message, code: error.code } : undefined,
      asyncContext,
      diagnostics: undefined,
    };
  }

  /** Splits Office.js's (positional…, options?, callback?) arguments; `positional` counts the required ones. */
  function tail(args, positional) {
    const list = args.slice();
    const callback = typeof list[list.length - 1] === 'function' ? list.pop() : undefined;
    const last = list[list.length - 1];
    const options = list.length > positional && last && typeof last === 'object' ? list.pop() : {};
    return { rest: list, options, callback };
  }

  function settle(promise, callback, asyncContext, map) {
    promise.then(
      (value) => callback?.(asyncResult('succeeded', map ? map(value) : value, undefined, asyncContext)),
      (error) => callback?.(asyncResult('failed', undefined, error, asyncContext)),
    );
  }

  function method(name, positional, shape, map) {
    return (...args) => {
      const { rest, options, callback } = tail(args, positional);
      settle(hostCall(name, shape(rest, options)), callback, options.asyncContext, map);
    };
  }

  // ---------------------------------------------------------------------------------------------
  // The Office namespace

  const Office = {
    AsyncResultStatus: { Succeeded: 'succeeded', Failed: 'failed' },
    CoercionType: { Text: 'text', Html: 'html' },
    EventType: {
      DialogMessageReceived: 'dialogMessageReceived',
      DialogEventReceived: 'dialogEventReceived',
      DialogParentMessageReceived: 'dialogParentMessageReceived',
      AppointmentTimeChanged: 'olkAppointmentTimeChanged',
      RecurrenceChanged: 'olkRecurrenceChanged',
    },
    HostType: { Outlook: 'Outlook', Word: 'Word', Excel: 'Excel', PowerPoint: 'PowerPoint' },
    PlatformType: { OfficeOnline: 'OfficeOnline', PC: 'PC', Mac: 'Mac', iOS: 'iOS', Android: 'Android' },
    MailboxEnums: {
      ItemType: { Message: 'message', Appointment: 'appointment' },
      ItemNotificationMessageType: {
        ProgressIndicator: 'progressIndicator',
        InformationalMessage: 'informationalMessage',
        ErrorMessage: 'errorMessage',
        InsightMessage: 'insightMessage',
      },
      RecurrenceType: {
        Daily: 'daily',
        Weekday: 'weekday',
        Weekly: 'weekly',
        Monthly: 'monthly',
        Yearly: 'yearly',
      },
      Days: { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' },
      LocationType: { Custom: 'custom', Room: 'room' },
      SendModeOverride: { PromptUser: 'promptUser' },
    },
    context: { requirements: { isSetSupported: () => false } },
    initialize: undefined,
    onReady: undefined,
    actions: undefined,
  };

  const actions = new Map();
  Office.actions = {
    associate(name, handler) {
      actions.set(name, handler);
    },
  };

  // Requirement sets the sandbox implements (the parts add-ins ask for; see README).
  const SUPPORTED = { mailbox: '1.14', dialogapi: '1.2', dialogorigin: '1.1' };
  function isSetSupported(name, version) {
    const have = SUPPORTED[String(name).toLowerCase()];
    if (!have) return false;
    if (version === undefined) return true;
    const [a, b] = String(version).split('.').map(Number);
    const [c, d] = have.split('.').map(Number);
    return c > a || (c === a && d >= (b || 0));
  }

  // ---------------------------------------------------------------------------------------------
  // Item (appointment in compose mode)

  function field(name, toValue) {
    return {
      getAsync: method(`item.${name}.get`, 0, () => ({}), toValue),
      setAsync: method(`item.${name}.set`, 1, (rest) => ({
        value: rest[0] instanceof Date ? rest[0].toISOString() : rest[0],
      })),
    };
  }

  function seriesTime(r) {
    return {
      getStartDate: () => r.startDate,
      getEndDate: () => r.endDate,
      getStartTime: () => r.startTime,
      getEndTime: () => r.endTime,
      getDuration: () => r.duration,
    };
  }

  function recurrenceObject(r) {
    if (!r) return null;
    const properties = { interval: r.interval };
    if (r.days) properties.days = r.days;
    if (r.dayOfMonth) properties.dayOfMonth = r.dayOfMonth;
    return {
      recurrenceType: r.recurrenceType,
      recurrenceProperties: properties,
      recurrenceTimeZone: { name: r.timeZone, offset: 0 },
      seriesTime: seriesTime(r),
    };
  }

  function customProperties(initial) {
    const values = Object.assign({}, initial);
    return {
      get: (name) => values[name],
      set: (name, value) => {
        values[name] = value;
      },
      remove: (name) => {
        delete values[name];
      },
      getAll: () => Object.assign({}, values),
      saveAsync(callback, asyncContext) {
        settle(hostCall('item.customProperties.save', { properties: values }), callback, asyncContext);
      },
    };
  }

  // Item events (item.addHandlerAsync, Mailbox 1.7): the host raises them, with their values as JSON.
  const itemHandlers = new Map();

  function addHandlerAsync(eventType, handler, ...more) {
    const { options, callback } = tail(more, 0);
    if (typeof handler !== 'function') {
      callback?.(
        asyncResult('failed', undefined, officeError('InvalidParameter', 'A handler is expected.', 5001)),
      );
      return;
    }
    settle(
      hostCall('item.addHandler', { eventType: String(eventType) }).then(() => {
        const list = itemHandlers.get(eventType) || [];
        list.push(handler);
        itemHandlers.set(eventType, list);
      }),
      callback,
      options.asyncContext,
    );
  }

  function removeHandlerAsync(eventType, ...more) {
    const { options, callback } = tail(more, 0);
    itemHandlers.delete(eventType);
    settle(hostCall('item.removeHandler', { eventType: String(eventType) }), callback, options.asyncContext);
  }

  function itemEventArgs(eventType, args) {
    // AppointmentTimeChangedEventArgs: start and end are Dates.
    if (eventType === 'olkAppointmentTimeChanged')
      return { type: eventType, start: new Date(args.start), end: new Date(args.end) };
    return Object.assign({ type: eventType }, args);
  }

  function makeItem(info) {
    return {
      itemType: 'appointment',
      itemId: info.itemId || undefined,
      subject: field('subject'),
      location: field('location'),
      enhancedLocation: {
        getAsync: method('item.enhancedLocation.get', 0, () => ({})),
        addAsync: method('item.enhancedLocation.add', 1, (rest) => ({ locationIdentifiers: rest[0] })),
        removeAsync: method('item.enhancedLocation.remove', 1, (rest) => ({ locationIdentifiers: rest[0] })),
      },
      start: field('start', (iso) => new Date(iso)),
      end: field('end', (iso) => new Date(iso)),
      body: {
        getTypeAsync: method('item.body.getType', 0, () => ({})),
        getAsync: method('item.body.get', 1, (rest) => ({ coercionType: rest[0] })),
        setAsync: method('item.body.set', 1, (rest, options) => ({
          data: rest[0],
          coercionType: options.coercionType || 'text',
        })),
        prependAsync: method('item.body.prepend', 1, (rest, options) => ({
          data: rest[0],
          coercionType: options.coercionType || 'text',
        })),
        setSelectedDataAsync: method('item.body.setSelectedData', 1, (rest, options) => ({
          data: rest[0],
          coercionType: options.coercionType || 'text',
        })),
      },
      recurrence: { getAsync: method('item.recurrence.get', 0, () => ({}), recurrenceObject) },
      notificationMessages: {
        addAsync: method('item.notifications.add', 2, (rest) => ({ key: rest[0], details: rest[1] })),
        replaceAsync: method('item.notifications.replace', 2, (rest) => ({ key: rest[0], details: rest[1] })),
        removeAsync: method('item.notifications.remove', 1, (rest) => ({ key: rest[0] })),
        getAllAsync: method('item.notifications.getAll', 0, () => ({})),
      },
      // Office.SessionData (Mailbox 1.11): the item's string values, kept by the host for every runtime.
      sessionData: {
        getAsync: method('item.sessionData.get', 1, (rest) => ({ name: rest[0] })),
        getAllAsync: method('item.sessionData.getAll', 0, () => ({})),
        setAsync: method('item.sessionData.set', 2, (rest) => ({ name: rest[0], value: rest[1] })),
        removeAsync: method('item.sessionData.remove', 1, (rest) => ({ name: rest[0] })),
        clearAsync: method('item.sessionData.clear', 0, () => ({})),
      },
      loadCustomPropertiesAsync(callback, userContext) {
        settle(hostCall('item.customProperties.load', {}), callback, userContext, customProperties);
      },
      saveAsync: method('item.save', 0, () => ({})),
      addHandlerAsync,
      removeHandlerAsync,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Dialogs

  const dialogs = new Map();
  function displayDialogAsync(url, options, callback) {
    if (typeof options === 'function') {
      callback = options;
      options = {};
    }
    options = options || {};
    const request = {
      url: String(url),
      height: options.height,
      width: options.width,
      displayInIframe: Boolean(options.displayInIframe),
      promptBeforeOpen: options.promptBeforeOpen !== false,
    };
    settle(hostCall('ui.displayDialog', request), callback, options.asyncContext, (dialogId) => {
      const handlers = new Map();
      const dialog = {
        addEventHandler(type, handler) {
          handlers.set(type, handler);
        },
        close() {
          dialogs.delete(dialogId);
          hostCall('ui.closeDialog', { dialogId }).catch(() => undefined);
        },
        messageChild(message) {
          hostCall('ui.messageChild', { dialogId, message: String(message) }).catch(() => undefined);
        },
      };
      dialogs.set(dialogId, handlers);
      return dialog;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // OfficeRuntime.storage, shared by the add-in's runtimes. In Outlook it exists only for classic Outlook
  // on Windows: its JavaScript-only event runtime (the Worker), and its task pane and function commands.
  // Frames emulating Outlook on the web (runtime=browser, the browser event runtime page) and dialogs do
  // not get it, so an add-in that relies on it there fails here as it would in Outlook.

  const storage = {
    getItem: (key) => hostCall('storage.getItem', { key }),
    setItem: (key, value) => hostCall('storage.setItem', { key, value: String(value) }).then(() => undefined),
    removeItem: (key) => hostCall('storage.removeItem', { key }).then(() => undefined),
    getItems: (keys) => hostCall('storage.getItems', { keys }),
    setItems: (values) => hostCall('storage.setItems', { values }).then(() => undefined),
    removeItems: (keys) => hostCall('storage.removeItems', { keys }).then(() => undefined),
    getKeys: () => hostCall('storage.getKeys', {}),
  };

  // ---------------------------------------------------------------------------------------------
  // Messages from the host

  function onHostMessage(data) {
    if (data?.[MARK] !== 1) return;
    if (data.kind === 'result') {
      const entry = pending.get(data.id);
      if (!entry) return;
      pending.delete(data.id);
      if (data.error) entry.reject(officeError(data.error.name, data.error.message, data.error.code));
      else entry.resolve(data.value);
    } else if (data.kind === 'invoke') {
      invoke(data);
    } else if (data.kind === 'item-event') {
      for (const handler of itemHandlers.get(data.eventType) || []) {
        try {
          handler(itemEventArgs(data.eventType, data.args || {}));
        } catch (error) {
          // An add-in's handler that throws does not stop the others (nor the host).
          setTimeout(() => {
            throw error;
          });
        }
      }
    } else if (data.kind === 'dialog-event') {
      const handlers = dialogs.get(data.dialogId);
      if (!handlers) return;
      if (data.type === 'message') {
        const handler = handlers.get('dialogMessageReceived');
        if (handler) handler({ type: 'dialogMessageReceived', message: data.message, origin: data.origin });
      } else {
        dialogs.delete(data.dialogId);
        const handler = handlers.get('dialogEventReceived');
        if (handler) handler({ type: 'dialogEventReceived', error: data.error });
      }
    } else if (data.kind === 'parent-message') {
      const handler = parentHandlers.get('dialogParentMessageReceived');
      if (handler)
        handler({ type: 'dialogParentMessageReceived', message: data.message, origin: data.origin });
    }
  }

  function invoke(data) {
    const fn = actions.get(data.name) || (typeof scope[data.name] === 'function' ? scope[data.name] : null);
    let done = false;
    const complete = (options) => {
      if (done) return;
      done = true;
      hostCall('event.completed', { invocationId: data.invocationId, options: options || {} }).catch(
        () => undefined,
      );
    };
    const event = { type: data.eventType, source: { id: data.controlId }, completed: complete };
    if (!fn) {
      hostCall('event.failed', { invocationId: data.invocationId, message: `${data.name} is not defined` });
      return;
    }
    try {
      const result = fn(event);
      if (result && typeof result.then === 'function') {
        result.then(undefined, (error) =>
          hostCall('event.failed', {
            invocationId: data.invocationId,
            message: String(error?.message),
          }),
        );
      }
    } catch (error) {
      hostCall('event.failed', { invocationId: data.invocationId, message: String(error?.message) });
    }
  }

  const parentHandlers = new Map();

  scope.addEventListener('message', (e) => onHostMessage(e.data));

  // ---------------------------------------------------------------------------------------------
  // Initialisation: onReady resolves once the host has answered and the page has loaded

  function documentLoaded() {
    if (isWorker || typeof document === 'undefined' || document.readyState === 'complete')
      return Promise.resolve();
    return new Promise((resolve) => scope.addEventListener('load', () => resolve(), { once: true }));
  }

  let ready;
  if (!channel) {
    ready = documentLoaded().then(() => ({ host: null, platform: null }));
  } else if (channel.kind === 'dialog') {
    Office.context = {
      displayLanguage: 'en-US',
      requirements: { isSetSupported },
      ui: {
        messageParent(message, options) {
          channel.post({
            [MARK]: 1,
            kind: 'dialog-message',
            dialogId: channel.id,
            message: String(message),
            targetOrigin: options?.targetOrigin,
          });
        },
        addHandlerAsync(type, handler, callback) {
          parentHandlers.set(type, handler);
          if (callback) callback(asyncResult('succeeded'));
        },
      },
    };
    ready = documentLoaded().then(() => ({ host: 'Outlook', platform: 'OfficeOnline' }));
  } else {
    ready = hostCall('init', { kind: channel.kind }).then((info) => {
      if (!isWorker && info.officeRuntimeStorage) scope.OfficeRuntime = { storage };
      Office.context = {
        displayLanguage: info.displayLanguage,
        contentLanguage: info.displayLanguage,
        host: 'Outlook',
        platform: 'OfficeOnline',
        diagnostics: { host: 'Outlook', platform: 'OfficeOnline', version: 'sandbox' },
        requirements: { isSetSupported },
        mailbox: {
          item: makeItem(info),
          userProfile: info.userProfile,
          diagnostics: { hostName: 'OutlookWebApp', hostVersion: 'sandbox', OWAView: 'ThreeColumns' },
          ewsUrl: undefined,
          restUrl: undefined,
        },
        ui: isWorker
          ? undefined
          : {
              displayDialogAsync,
              closeContainer: () => hostCall('ui.closeContainer', {}).catch(() => undefined),
            },
        roamingSettings: undefined,
      };
      return documentLoaded().then(() => ({ host: 'Outlook', platform: 'OfficeOnline' }));
    });
    // The host learns when the page's scripts have run, so it invokes functions only once they exist.
    ready.then(() => hostCall('ready', { actions: Array.from(actions.keys()) }).catch(() => undefined));
  }

  // Office.initialize, if the add-in assigned one, runs once, before onReady callbacks.
  ready = ready.then((info) => {
    if (typeof Office.initialize === 'function') Office.initialize('');
    return info;
  });
  Office.onReady = (callback) =>
    ready.then((info) => {
      if (callback) callback(info);
      return info;
    });

  scope.Office = Office;
  if (isWorker) scope.OfficeRuntime = { storage };
})();
