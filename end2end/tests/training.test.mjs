// Learners learn, in Chromium: a trainer writes a course in Odoo's back
// office (reached by single sign-on), enrols three learners from a CSV
// file (one line refused in the preview) into it; a learner accepts the
// invitation, finds the course on "My learning", and "Continue" lands them
// on the course page in Odoo eLearning signed in as themselves, with no
// password page; they finish two of its three contents there, and the
// trainer's progress table shows 67 % once refreshed. Removed from the
// organization, the learner loses Odoo at once and "Continue" answers 404.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, createOrganization, enterPortal, expectUrl, launchChromium, openPage, recordNavigations, reloadUntil, signUp, signUpVerified,
  subscribe, uniqueEmail, verifyByCode, waitForMail,
} from './support.mjs';

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** Calls Odoo's web client API as the signed-in Odoo user of `page`. */
async function callKw(page, model, method, args, kwargs = {}) {
  const answer = await page.evaluate(async (params) => {
    const response = await fetch('/web/dataset/call_kw', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params }),
    });
    return response.json();
  }, { model, method, args, kwargs });
  assert.equal(answer.error, undefined, JSON.stringify(answer.error));
  return answer.result;
}

/** A JSON route of the website, as its pages' scripts call it. */
async function jsonRoute(page, path, params) {
  return page.evaluate(async ([path, params]) => {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params }),
    });
    return response.json();
  }, [path, params]);
}

/** Follows an SSO link that may ask for consent first; resolves where it lands. */
async function throughConsent(page, onSite) {
  await page.waitForURL((url) => onSite(url) || url.pathname.startsWith('/auth/consent'));
  if (page.url().includes('/auth/consent')) {
    await page.click('button[name="decision"][value="allow"]');
    await page.waitForURL(onSite);
  }
}

describe('learners learn', () => {
  test('a CSV enrolment, "Continue" into the course signed in, and progress back to the trainer', async () => {
    const trainer = await openPage(browser);
    const trainerEmail = uniqueEmail('trainer');
    await signUpVerified(trainer.page, trainerEmail);
    await enterPortal(trainer.page);
    const slug = await createOrganization(trainer.page, 'Campus Test', 'campus');
    await subscribe(trainer.page, slug, 'learn-class');
    await trainer.page.locator('[data-subscription="training"][data-subscription-state="active"]')
      .waitFor({ timeout: 60_000 });

    // The trainer writes a course in the back office, signed in by the portal.
    const onCampus = (url) => url.hostname === `${slug}.learn.localhost`;
    await reloadUntil(trainer.page, '[data-subscription="training"] [data-back-office]');
    await trainer.page.click('[data-subscription="training"] [data-back-office]');
    await throughConsent(trainer.page, onCampus);
    const course = await callKw(trainer.page, 'slide.channel', 'create', [{
      name: 'Rust for shops', is_published: true, visibility: 'members', enroll: 'invite',
    }]);
    for (const [index, name] of ['Ownership', 'Borrowing', 'Lifetimes'].entries()) {
      await callKw(trainer.page, 'slide.slide', 'create', [{
        name, channel_id: course, sequence: index + 1, is_published: true,
      }]);
    }

    // The portal reads it from Odoo when the trainer opens the Courses page.
    await trainer.page.goto(`${BASE}/orgs/${slug}/courses`);
    await reloadUntil(trainer.page, `[data-course="${course}"]`, 60_000);
    const code = await trainer.page.getAttribute(`[data-course="${course}"] [data-course-code]`, 'data-course-code');

    // Three learners from a file: one line is refused in the preview.
    const learnerEmail = uniqueEmail('learner-one');
    const otherEmail = uniqueEmail('learner-two');
    const csv = `email;first name;last name;language;courses\n${learnerEmail};Lea;Durand;fr;${code}\n`
      + `${otherEmail};Sam;Martin;en;${code}\nnot-an-address;Nobody;Here;;${code}\n`;
    await trainer.page.setInputFiles('[data-import-form] input[type="file"]', {
      name: 'learners.csv', mimeType: 'text/csv', buffer: Buffer.from(csv),
    });
    await trainer.page.click('[data-import-upload]');
    await expectUrl(trainer.page, (url) => url.pathname.startsWith(`/orgs/${slug}/learners/imports/`));
    assert.equal(await trainer.page.getAttribute('[data-import-line="2"]', 'data-valid'), 'true');
    assert.equal(await trainer.page.getAttribute('[data-import-line="3"]', 'data-valid'), 'true');
    assert.equal(await trainer.page.getAttribute('[data-import-line="4"]', 'data-valid'), 'false');
    await trainer.page.click('[data-import-send]');
    await expectUrl(trainer.page, (url) => url.pathname === `/orgs/${slug}/courses`);
    await trainer.page.waitForSelector('[data-import-sent]');

    // A learner accepts the invitation, written in French as the file asked.
    const mail = await waitForMail(learnerEmail, { subject: /Campus Test/, timeoutMs: 30_000 });
    assert.match(mail.subject, /vous invite/);
    const link = mail.text.match(/http\S+\/invitations\/[0-9a-f]+/)[0];
    const learner = await openPage(browser);
    await signUp(learner.page, learnerEmail);
    await verifyByCode(learner.page, learnerEmail);
    await learner.page.goto(link);
    if (await learner.page.locator('[data-accept]').count() === 0) {
      await learner.page.click('[data-sign-in]');
      await expectUrl(learner.page, (url) => url.pathname.startsWith('/invitations/'));
    }
    await learner.page.click('[data-accept]');
    await expectUrl(learner.page, (url) => url.pathname === `/orgs/${slug}`);

    // "My learning" lists the course; "Continue" lands on its page, signed
    // in (once the engine has made their Odoo user and enrolled them).
    const navigations = recordNavigations(learner.page);
    const onCourse = (url) => onCampus(url) && url.pathname.startsWith('/slides/') && url.pathname !== '/slides/';
    const deadline = Date.now() + 60_000;
    for (;;) {
      await learner.page.goto(`${BASE}/learning`);
      await learner.page.locator(`[data-learning-course="${course}"][data-organization="${slug}"]`).waitFor();
      await learner.page.click(`[data-learning-course="${course}"] [data-continue]`);
      await learner.page.waitForURL((url) => onCampus(url) || url.pathname.startsWith('/auth/consent')
        || url.pathname === '/learning');
      if (learner.page.url().includes('/auth/consent')) {
        await learner.page.click('button[name="decision"][value="allow"]');
        await learner.page.waitForURL(onCampus);
      }
      if (onCourse(new URL(learner.page.url()))) break;
      assert.ok(Date.now() < deadline, `the learner never reached the course: ${learner.page.url()}`);
      await learner.page.waitForTimeout(1000);
    }
    const session = await jsonRoute(learner.page, '/web/session/get_session_info', {});
    assert.equal(session.result.username, learnerEmail);
    const passwordPages = navigations.filter((url) => url.includes('/web/login') || url.includes('/auth/login?flow'));
    assert.deepEqual(passwordPages, [], 'no sign-in form on the way');

    // Two of the three contents done, as the course page's buttons do.
    const slides = await learner.page.$$eval('a[href^="/slides/slide/"]', (links) =>
      links.map((link) => Number(link.getAttribute('href').split('/').pop().split('-').pop())));
    assert.equal(slides.length, 3, `the course page lists its contents: ${slides}`);
    for (const slide of slides.slice(0, 2)) {
      const done = await jsonRoute(learner.page, '/slides/slide/set_completed', { slide_id: slide });
      assert.equal(done.error, undefined, JSON.stringify(done.error));
    }

    // The trainer's table shows it after a refresh.
    await trainer.page.goto(`${BASE}/orgs/${slug}/courses`);
    await reloadUntil(trainer.page, `[data-progress-row="${learnerEmail}"] [data-completion="67"]`, 60_000);
    assert.equal(
      await trainer.page.getAttribute(`[data-progress-row="${learnerEmail}"]`, 'data-status'), 'in_progress');

    for (const { errors } of [trainer, learner]) {
      assert.deepEqual(errors.filter((e) => !e.includes('favicon')), []);
    }

    // Removed from the organization: Odoo ends their session at once (the
    // members' sync archives their user) and "Continue" is refused.
    const coursePage = learner.page.url();
    await trainer.page.goto(`${BASE}/orgs/${slug}/members`);
    await trainer.page.click(`[data-remove="${learnerEmail}"]`);
    await trainer.page.waitForSelector(`[data-remove="${learnerEmail}"]`, { state: 'detached' });
    const refusedBy = Date.now() + 60_000;
    for (;;) {
      await learner.page.goto(`${new URL(coursePage).origin}/web`);
      if (new URL(learner.page.url()).pathname === '/web/login') break;
      assert.ok(Date.now() < refusedBy, 'Odoo still lets the removed learner in');
      await learner.page.waitForTimeout(1000);
    }
    const refused = await learner.page.goto(`${BASE}/orgs/${slug}/courses/${course}/continue`);
    assert.equal(refused.status(), 404);
    await trainer.context.close();
    await learner.context.close();
  });
});
