"""Waiting-list offers in the front end (in-process, real services on SQLite): a coordinator has freed seats
offered rather than given, a student offered a seat sees until when (in their own time) and accepts it, or
declines it after a confirmation page that works without JavaScript. Both languages."""

from __future__ import annotations

import html
import re

import pytest

from tests.support.front_end import (csrf_token, deliver_catalogue_events, edit_offering, first_offering, person, submit,
                                     with_enrolment)


@pytest.fixture
def apps(service_app):
    return with_enrolment(service_app)


def offered_by_one_seat(apps, coordinator, offering_id: str) -> None:
    """The coordinator has freed seats offered for 24 hours, and cuts the offering to one seat."""
    edit = f"/manage/offerings/{offering_id}/edit"
    assert re.search(r'value="automatic"\s+checked', coordinator.get(edit).text)  # today's rule until changed
    assert edit_offering(coordinator, offering_id, promotion="offer", offer_hours="24").status_code == 302
    page = coordinator.get(edit).text
    assert re.search(r'value="offer"\s+checked', page) and 'name="offer_hours" type="number" value="24"' in page
    manage = f"/manage/offerings/{offering_id}"
    version = re.search(r'name="version" value="(\d+)"', coordinator.get(manage).text).group(1)
    cut = submit(coordinator, f"{manage}/seats", {"capacity": "1", "version": version, "confirm": "yes"}, manage)
    assert cut.status_code == 302, cut.text
    deliver_catalogue_events(apps)


def seat_freed_for(apps, holder, waiter, offering_id: str) -> None:
    """The holder takes the one seat, the waiter joins the line, the holder cancels: the seat is offered."""
    for client in (holder, waiter):
        submit(client, f"/offerings/{offering_id}/enrol", {"idempotency_key": f"k-{id(client)}"}, "/me/enrolments")
    enrolment_id = re.search(r'/enrolments/([\w-]+)/cancel', holder.get("/me/enrolments").text).group(1)
    cancelled = submit(holder, f"/enrolments/{enrolment_id}/cancel", {"confirm": "yes"})
    assert cancelled.status_code == 302


def test_a_student_offered_a_seat_sees_the_deadline_in_their_time_and_accepts_it(apps):
    coordinator = person(apps, "lumc-coordinator")
    path, offering_id = first_offering(coordinator)
    offered_by_one_seat(apps, coordinator, offering_id)
    anna, sanne = person(apps, "ssmu-student"), person(apps, "lumc-student")
    seat_freed_for(apps, anna, sanne, offering_id)

    mine = sanne.get("/me/enrolments").text
    assert "Seat offered" in mine and "A seat is held for you until" in mine and "(Amsterdam, UTC" in mine
    assert "Accept the seat" in mine and "Decline…" in mine
    assert "Accept the seat" in sanne.get(path).text  # on the course page too
    roster = coordinator.get(f"/manage/offerings/{offering_id}").text
    assert "Seats offered" in roster and "Held until" in roster

    enrolment_id = re.search(r'/enrolments/([\w-]+)/accept', mine).group(1)
    accepted = submit(sanne, f"/enrolments/{enrolment_id}/accept", {}, "/me/enrolments")
    assert accepted.status_code == 302
    mine = sanne.get("/me/enrolments").text
    assert "You have a seat: your enrolment is confirmed." in mine and "Accept the seat" not in mine


def test_declining_asks_first_in_russian_and_the_seat_goes_on(apps):
    coordinator = person(apps, "lumc-coordinator")
    _path, offering_id = first_offering(coordinator)
    offered_by_one_seat(apps, coordinator, offering_id)
    anna, sanne = person(apps, "ssmu-student"), person(apps, "lumc-student")
    seat_freed_for(apps, sanne, anna, offering_id)

    mine = anna.get("/me/enrolments").text
    assert "Предложено место" in mine and "Место закреплено за вами до" in mine and "(Томск, UTC+7)" in mine
    decline = re.search(r'href="(/enrolments/[\w-]+/decline[^"]*)"', mine).group(1)
    asked = anna.get(html.unescape(decline)).text
    assert "Отказаться от места, предложенного вам на курсе" in asked and 'name="confirm" value="yes"' in asked
    assert "Предложено место" in anna.get("/me/enrolments").text  # nothing happened before confirming
    declined = anna.post(html.unescape(decline).split("?")[0], data={"confirm": "yes", "csrf_token": csrf_token(asked)})
    assert declined.status_code == 302
    mine = anna.get("/me/enrolments").text
    assert "Вы отказались от места; оно предложено следующему в очереди." in mine and "Предложено место" not in mine
    assert "The offer of a seat expired" not in coordinator.get(f"/manage/offerings/{offering_id}").text


def test_an_expired_offer_shows_to_the_student_and_on_the_coordinators_roster(apps):
    from datetime import datetime, timedelta, timezone

    from enrolment.offers import sweep_offers

    coordinator = person(apps, "lumc-coordinator")
    _path, offering_id = first_offering(coordinator)
    offered_by_one_seat(apps, coordinator, offering_id)
    anna, sanne = person(apps, "ssmu-student"), person(apps, "lumc-student")
    seat_freed_for(apps, anna, sanne, offering_id)
    later = datetime.now(timezone.utc) + timedelta(hours=25)
    assert sweep_offers(apps["enrolment"].extensions["database"], now=later)["expired"] == 1

    mine = sanne.get("/me/enrolments").text
    assert "Offer expired" in mine and "Accept the seat" not in mine and "Cancel my enrolment…" not in mine
    roster = coordinator.get(f"/manage/offerings/{offering_id}").text
    assert "The offer of a seat expired unanswered." in roster and "a seat offered" in roster
