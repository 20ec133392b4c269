"""Realistic LUMC and SSMU courses for a first start, entered through the domain operations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from catalogue import operations
from catalogue.models import Course
from catalogue.schemas import CourseSchema, OfferingSchema
from shared.auth import Principal

SEED_ADMIN = Principal(id="seed", role="admin", institution="LUMC", email="exchange-admin@lumc.nl",
                       name="Exchange administrator", locale="en")

COURSES = [
    {
        "code": "GLY-501", "institution": "LUMC", "ects": 5, "level": "master", "language": "en",
        "isced": "0512", "topics": ["glycomics", "mass spectrometry"], "coordinators": ["lumc-coordinator"],
        "title": {"en": "Clinical Glycomics: Mass Spectrometry of Protein Glycosylation",
                  "ru": "Клиническая гликомика: масс-спектрометрия гликозилирования белков"},
        "description": {
            "en": "Glycan release, labelling and MALDI/ESI-MS analysis of plasma and IgG glycosylation, "
                  "with hands-on work at the Center for Proteomics and Metabolomics.",
            "ru": "Высвобождение и мечение гликанов, MALDI/ESI-МС анализ гликозилирования белков плазмы "
                  "и IgG; практические занятия в Центре протеомики и метаболомики."},
    },
    {
        "code": "HEL-510", "institution": "LUMC", "ects": 5, "level": "master", "language": "en",
        "isced": "0912", "topics": ["helminths", "immunology"], "coordinators": ["lumc-coordinator"],
        "title": {"en": "Helminth Infections and the Immune System",
                  "ru": "Гельминтозы и иммунная система"},
        "description": {
            "en": "How schistosomes and hookworms shape type 2 immunity and regulatory responses, "
                  "and what that teaches us about allergy.",
            "ru": "Как шистосомы и анкилостомы формируют иммунитет 2-го типа и регуляторные ответы "
                  "и что это говорит нам об аллергии."},
    },
    {
        "code": "MET-620", "institution": "LUMC", "ects": 3, "level": "phd", "language": "en",
        "isced": "0512", "topics": ["metabolomics"], "coordinators": ["lumc-coordinator"],
        "title": {"en": "Metabolomics in Translational Research",
                  "ru": "Метаболомика в трансляционных исследованиях"},
        "description": {
            "en": "Study design, NMR and LC-MS platforms, and statistics for metabolomics in cohorts.",
            "ru": "Дизайн исследования, платформы ЯМР и ЖХ-МС и статистика метаболомики в когортах."},
    },
    {
        "code": "CHI-530", "institution": "LUMC", "ects": 4, "level": "master", "language": "en",
        "isced": "0912", "topics": ["helminths", "clinical trials"], "coordinators": ["lumc-coordinator"],
        "title": {"en": "Controlled Human Infection Models",
                  "ru": "Модели контролируемого инфицирования человека"},
        "description": {
            "en": "Ethics, safety and immunology of controlled hookworm and schistosome infections "
                  "in volunteers for vaccine development.",
            "ru": "Этика, безопасность и иммунология контролируемого заражения добровольцев "
                  "анкилостомами и шистосомами для разработки вакцин."},
    },
    {
        "code": "ALG-401", "institution": "SSMU", "ects": 5, "level": "master", "language": "ru",
        "isced": "0912", "topics": ["allergy", "immunology"], "coordinators": ["ssmu-coordinator"],
        "title": {"en": "Immunology of Allergic Diseases",
                  "ru": "Иммунология аллергических заболеваний"},
        "description": {
            "en": "IgE-mediated and non-IgE allergy, atopic dermatitis and asthma phenotypes, "
                  "with cases from the Tomsk clinics.",
            "ru": "IgE-опосредованная и не-IgE аллергия, фенотипы атопического дерматита и астмы "
                  "на клинических примерах томских клиник."},
    },
    {
        "code": "OPI-410", "institution": "SSMU", "ects": 4, "level": "master", "language": "ru",
        "isced": "0912", "topics": ["helminths", "epidemiology"], "coordinators": ["ssmu-coordinator"],
        "title": {"en": "Opisthorchiasis: Epidemiology, Clinical Course and Immunopathology",
                  "ru": "Описторхоз: эпидемиология, клиника и иммунопатология"},
        "description": {
            "en": "Opisthorchis felineus in the Ob river basin: transmission, liver pathology "
                  "and the host immune response.",
            "ru": "Opisthorchis felineus в бассейне Оби: передача, поражение печени "
                  "и иммунный ответ хозяина."},
    },
    {
        "code": "IMM-610", "institution": "SSMU", "ects": 3, "level": "phd", "language": "en",
        "isced": "0912", "topics": ["immunomics", "allergy"], "coordinators": ["ssmu-coordinator"],
        "title": {"en": "Immunomics of Bronchial Asthma",
                  "ru": "Иммуномика бронхиальной астмы"},
        "description": {
            "en": "Flow cytometry, transcriptomics and glycan signatures of asthma endotypes.",
            "ru": "Проточная цитометрия, транскриптомика и гликановые сигнатуры эндотипов астмы."},
    },
    {
        "code": "GLB-320", "institution": "SSMU", "ects": 2.5, "level": "staff", "language": "en",
        "isced": "0512", "topics": ["glycomics"], "coordinators": ["ssmu-coordinator", "lumc-coordinator"],
        "title": {"en": "Glycobiology for Clinicians",
                  "ru": "Гликобиология для клиницистов"},
        "description": {
            "en": "A staff workshop on glycan biomarkers in inflammation, taught jointly by SSMU and LUMC.",
            "ru": "Семинар для сотрудников о гликановых биомаркерах воспаления, совместно СибГМУ и LUMC."},
    },
]

LOCATIONS = {"LUMC": "LUMC, Albinusdreef 2, Leiden", "SSMU": "SSMU, Moskovsky trakt 2, Tomsk"}


def next_term_start(today: date) -> tuple[str, date]:
    """Return the next spring or autumn term starting at least six weeks from today."""
    earliest = today + timedelta(weeks=6)
    for year in (earliest.year, earliest.year + 1):
        for season, start in (("spring", date(year, 2, 1)), ("autumn", date(year, 9, 1))):
            if start >= earliest:
                return f"{year}-{season}", start
    raise AssertionError("unreachable: a term starts within every 18 months")


def offering_fields(institution: str, today: date, capacity: int) -> dict:
    """Return an offering of the next term whose enrolment window is open today."""
    term, starts_on = next_term_start(today)
    opened = datetime.combine(today - timedelta(days=7), time(8), tzinfo=timezone.utc)
    closes = datetime.combine(starts_on - timedelta(days=14), time(23, 59), tzinfo=timezone.utc)
    return OfferingSchema().load({
        "term": term, "starts_on": starts_on.isoformat(),
        "ends_on": (starts_on + timedelta(weeks=4)).isoformat(),
        "enrolment_opens_at": opened.isoformat(), "enrolment_closes_at": closes.isoformat(),
        "capacity": capacity, "waitlist": True, "location": LOCATIONS[institution],
    })


def seed_catalogue(session: Session, today: date | None = None) -> int:
    """Create, publish and schedule the demo courses unless the catalogue has courses; return how many."""
    if session.scalar(select(exists().where(Course.id.isnot(None)))):
        return 0
    today = today or datetime.now(timezone.utc).date()
    for number, raw in enumerate(COURSES):
        course = operations.create_course(session, SEED_ADMIN, CourseSchema().load(raw))
        operations.publish_course(session, SEED_ADMIN, course.id)
        capacity = 2 if number == 0 else 12 + 4 * number
        operations.schedule_offering(session, SEED_ADMIN, course.id,
                                     offering_fields(course.institution, today, capacity))
    return len(COURSES)
