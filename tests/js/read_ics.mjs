// Reads iCalendar files with ical.js (the parser inside Thunderbird) and prints, as JSON, what a
// client would show: per file the METHOD and per VEVENT its UID, SEQUENCE, STATUS, texts and the
// start and end as UTC instants. The TZIDs are resolved with the VTIMEZONEs in the file itself
// (registered below), so the instants test the zone definitions the project writes, not a zone
// database of ical.js's own. A file ical.js cannot parse makes this exit non-zero.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function instant(time) {
  return new Date(time.toUnixTime() * 1000).toISOString();
}

const files = process.argv.slice(2).map((path) => {
  const root = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));
  const zones = root.getAllSubcomponents("vtimezone").map((vtz) => {
    const zone = new ICAL.Timezone(vtz);
    ICAL.TimezoneService.register(zone, zone.tzid);
    return zone.tzid;
  });
  const events = root.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    for (const time of [event.startDate, event.endDate]) {
      if (time.zone === ICAL.Timezone.localTimezone && !time.isDate) {
        throw new Error(`${path}: ${event.uid}: floating time, TZID not resolved`);
      }
    }
    return {
      uid: event.uid,
      sequence: event.sequence,
      status: vevent.getFirstPropertyValue("status"),
      transp: vevent.getFirstPropertyValue("transp"),
      summary: event.summary,
      location: event.location,
      description: event.description,
      start: instant(event.startDate),
      end: instant(event.endDate),
      tzid: event.startDate.zone ? event.startDate.zone.tzid : null,
      organizer: event.organizer || null,
      attendees: event.attendees.map((a) => a.getFirstValue()),
    };
  });
  for (const tzid of zones) ICAL.TimezoneService.remove(tzid);
  return {
    path,
    method: root.getFirstPropertyValue("method"),
    name: root.getFirstPropertyValue("x-wr-calname"),
    zones,
    events,
  };
});
process.stdout.write(JSON.stringify(files));
