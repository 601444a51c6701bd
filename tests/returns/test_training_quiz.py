"""The product quiz: questions generated from the listings and the reply scripts (the pure
helpers on their own, then through the services), scoring at the pass mark, retakes with
new questions, and refused submissions."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from ecomops.errors import ApplicationError, ConflictError
from ecomops.money import format_money
from listings.models import Sku
from listings.selectors import sku_online_price
from returns.models import QuizAttempt, ReplyScript, ScriptAudience, TrainingState
from returns.selectors.training import ScriptFacts, SkuFacts
from returns.services import training as services
from returns.services.training import QuestionCandidate
from tests.returns.training_factories import (
    WEDNESDAY,
    ReplyScriptFactory,
    answers,
    catalog,
    listed_product,
    read_all,
    sit,
    start,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english"),
    pytest.mark.clock(WEDNESDAY),
]


@pytest.fixture
def trainee(make_user: Any) -> Any:
    return make_user("presales_service", username="xiaoyu")


@pytest.fixture
def in_quiz(manager: Any, trainee: Any) -> Any:
    catalog()
    return read_all(start(manager, trainee), trainee)


def sku_facts(n: int, price: str, **facts: str) -> SkuFacts:
    values = {
        "specification": f"{n}00g",
        "origin": f"产地{n}",
        "shelf_life": f"{n}个月",
        "storage": f"储存{n}",
        "brand": f"品牌{n}",
    }
    values.update(facts)
    return SkuFacts(
        sku_id=n,
        code=f"S{n}",
        name=f"商品{n}",
        price=Decimal(price),
        product_id=n,
        product_name=f"商品{n}",
        category_id=1,
        **values,
    )


def pool_of(listings: int, scripts: int) -> list[QuestionCandidate]:
    made = [
        QuestionCandidate(f"price:sku:{n}", services.LISTING, "q", "a", ("b", "c"), "s")
        for n in range(listings)
    ]
    made += [
        QuestionCandidate(f"script:{n}", services.SCRIPT, "q", "a", ("b", "c"), "s")
        for n in range(scripts)
    ]
    return made


# --- The pure helpers -------------------------------------------------------------------


def test_price_questions_offer_other_skus_prices_or_variations() -> None:
    skus = [sku_facts(1, "99.00"), sku_facts(2, "59.90"), sku_facts(3, "268.00")]
    questions = {c.key: c for c in services.listing_candidates(skus)}
    price = questions["price:sku:1"]
    assert price.answer == "¥99.00"
    assert price.text == "What is the online price of S1 商品1?"
    # Two other prices only: ±10/20 percent variations fill up, in whole yuan.
    assert set(price.wrong) >= {"¥59.90", "¥268.00"}
    assert {"¥79.00", "¥89.00", "¥109.00", "¥119.00"} & set(price.wrong)
    assert "¥99.00" not in price.wrong
    assert len(price.wrong) >= 3


def test_a_fact_without_two_other_values_is_not_asked() -> None:
    skus = [
        sku_facts(1, "10.00", origin="浙江杭州"),
        sku_facts(2, "20.00", origin="浙江杭州"),
        sku_facts(3, "30.00", origin="云南", shelf_life=""),
        sku_facts(4, "40.00", origin="浙江杭州"),
    ]
    candidates = services.listing_candidates(skus)
    keys = {c.key for c in candidates}
    assert not {k for k in keys if k.startswith("origin:")}  # one other value at most
    assert "shelf_life:product:3" not in keys  # no value to ask about
    assert {"shelf_life:product:1", "brand:product:1", "spec:sku:2", "storage:product:3"} <= keys
    brand = next(c for c in candidates if c.key == "brand:product:1")
    assert brand.answer == "品牌1"
    assert set(brand.wrong) == {"品牌2", "品牌3", "品牌4"}
    assert brand.text == "Which brand is 商品1?"


def test_script_questions_use_the_audiences_scripts_and_shortened_answers() -> None:
    long_answer = "亲，" + "很长的答复" * 30
    scripts = [
        ScriptFacts(1, "price", ScriptAudience.PRESALES, "有优惠吗？", long_answer),
        ScriptFacts(2, "price", ScriptAudience.BOTH, "能便宜点吗？", "亲，已经是最低价了。"),
        ScriptFacts(3, "invoice", ScriptAudience.AFTERSALES, "发票呢？", "亲，电子发票已发送。"),
        ScriptFacts(4, "price", ScriptAudience.AFTERSALES, "退差价吗？", "亲，支持价保。"),
    ]
    questions = {c.key: c for c in services.script_candidates(scripts, ScriptAudience.PRESALES)}
    assert set(questions) == {"script:1", "script:2"}
    first = questions["script:1"]
    assert first.text == "The customer asks: “有优惠吗？”. How do you answer?"
    assert len(first.answer) == services.ANSWER_CHARS
    assert first.answer.endswith("…")
    # Same category first.
    assert first.wrong[: first.preferred] == ("亲，已经是最低价了。", "亲，支持价保。")


def test_choosing_prefers_new_questions_then_the_least_recently_asked() -> None:
    pool = pool_of(6, 6)
    rng = random.Random(1)
    first = services.choose_candidates(pool, count=6, asked={}, rng=rng)
    assert len({c.key for c in first}) == 6
    assert sum(1 for c in first if c.kind == services.SCRIPT) == 3  # half and half
    asked = {c.key: 1 for c in first}
    second = services.choose_candidates(pool, count=6, asked=asked, rng=rng)
    assert not {c.key for c in first} & {c.key for c in second}  # all new
    asked.update({c.key: 2 for c in second})
    # Nothing new left: the ones from attempt 1 come back before those of attempt 2.
    third = services.choose_candidates(pool, count=6, asked=asked, rng=rng)
    assert {c.key for c in third} == {c.key for c in first}


def test_a_retake_from_a_small_pool_still_differs() -> None:
    pool = pool_of(3, 2)
    size = services.quiz_size(len(pool), 10)
    assert size == 4  # never the whole pool
    rng = random.Random(5)
    previous = services.choose_candidates(pool, count=size, asked={}, rng=rng)
    asked = {c.key: 1 for c in previous}
    retake = services.choose_candidates(pool, count=size, asked=asked, rng=rng)
    assert {c.key for c in retake} != {c.key for c in previous}
    assert {c.key for c in retake} - {c.key for c in previous}


def test_a_drafted_question_holds_its_answer_once_among_the_choices() -> None:
    candidate = QuestionCandidate(
        "script:1", services.SCRIPT, "q", "right", ("w1", "w2", "w3", "w4", "w5"), "s", 2
    )
    for seed in range(20):
        draft = services.draft_question(candidate, random.Random(seed))
        assert len(draft.choices) == 4
        assert len(set(draft.choices)) == 4
        assert draft.choices[draft.correct_choice] == "right"
        assert {"w1", "w2"} <= set(draft.choices)  # the closest wrong answers first


# --- Through the services ---------------------------------------------------------------


def test_the_right_answers_are_really_right(in_quiz: Any, trainee: Any) -> None:
    attempt = services.quiz_start(onboarding_id=in_quiz.pk, by=trainee, rng=random.Random(3))
    questions = list(attempt.questions.order_by("position"))
    assert [q.position for q in questions] == list(range(1, 11))
    kinds = [q.key.split(":")[0] for q in questions]
    assert kinds.count("script") == 5  # half from the scripts, half from the listings
    for question in questions:
        assert len(question.choices) == len(set(question.choices)) >= 3
        right = question.choices[question.correct_choice]
        kind, *rest = question.key.split(":")
        if kind == "price":
            sku = Sku.objects.get(pk=int(rest[-1]))
            online = sku_online_price(sku=sku)
            assert online is not None
            assert right == format_money(online)
            assert sku.code in question.text
        elif kind == "script":
            script = ReplyScript.objects.get(pk=int(rest[-1]))
            assert script.active
            assert script.audience in (ScriptAudience.PRESALES, ScriptAudience.BOTH)
            assert right == services.shorten(script.answer)
            assert script.question in question.text
        elif kind == "spec":
            assert right == Sku.objects.get(pk=int(rest[-1])).specification


def test_starting_twice_gives_the_open_attempt(in_quiz: Any, trainee: Any) -> None:
    first = services.quiz_start(onboarding_id=in_quiz.pk, by=trainee)
    again = services.quiz_start(onboarding_id=in_quiz.pk, by=trainee)
    assert again.pk == first.pk
    assert QuizAttempt.objects.filter(onboarding=in_quiz).count() == 1


@override_settings(ONBOARDING_QUIZ_PASS_PERCENT=70)
@pytest.mark.parametrize(("right", "passed"), [(7, True), (6, False), (10, True), (0, False)])
def test_scoring_at_the_pass_mark(in_quiz: Any, trainee: Any, right: int, passed: bool) -> None:
    attempt = sit(in_quiz, trainee, right=right)
    assert (attempt.correct, attempt.total, attempt.passed) == (right, 10, passed)
    assert attempt.pass_percent == 70
    assert attempt.percent == right * 10
    questions = list(attempt.questions.order_by("position"))
    assert [q.is_correct for q in questions] == [i < right for i in range(10)]
    in_quiz.refresh_from_db()
    assert in_quiz.state == (TrainingState.SHARING if passed else TrainingState.QUIZ)


@override_settings(ONBOARDING_QUIZ_QUESTIONS=6)
def test_the_pass_mark_is_kept_from_when_the_attempt_started(in_quiz: Any, trainee: Any) -> None:
    attempt = services.quiz_start(onboarding_id=in_quiz.pk, by=trainee)
    assert attempt.total == 6
    with override_settings(ONBOARDING_QUIZ_PASS_PERCENT=50):
        submitted = services.quiz_submit(
            attempt_id=attempt.pk, answers=answers(attempt, right=4), by=trainee
        )
    # 4 of 6 is 66 percent: enough for 50, not for the 80 the attempt started with.
    assert submitted.pass_percent == 80
    assert submitted.passed is False


def test_unanswered_and_unknown_answers_are_refused(in_quiz: Any, trainee: Any) -> None:
    attempt = services.quiz_start(onboarding_id=in_quiz.pk, by=trainee)
    questions = list(attempt.questions.order_by("position"))
    given = answers(attempt)
    given[questions[0].pk] = None  # type: ignore[assignment]
    del given[questions[1].pk]
    given[questions[2].pk] = 7
    with pytest.raises(ApplicationError) as exc:
        services.quiz_submit(attempt_id=attempt.pk, answers=given, by=trainee)
    fields = exc.value.extra["fields"]
    assert fields == {
        f"question_{questions[0].pk}": ["Choose an answer."],
        f"question_{questions[1].pk}": ["Choose an answer."],
        f"question_{questions[2].pk}": ["Choose one of the answers shown."],
    }
    assert "3 not answered" in exc.value.message
    with pytest.raises(ApplicationError, match="not for this quiz"):
        services.quiz_submit(attempt_id=attempt.pk, answers={**answers(attempt), 0: 1}, by=trainee)
    attempt.refresh_from_db()
    assert not attempt.is_submitted
    assert not attempt.questions.filter(answer__isnull=False).exists()


def test_a_submitted_attempt_cannot_be_submitted_again(in_quiz: Any, trainee: Any) -> None:
    attempt = sit(in_quiz, trainee, right=3)
    with pytest.raises(ConflictError, match="already submitted"):
        services.quiz_submit(attempt_id=attempt.pk, answers=answers(attempt), by=trainee)
    attempt.refresh_from_db()
    assert attempt.correct == 3


def test_every_retake_asks_new_questions_while_there_are_some(in_quiz: Any, trainee: Any) -> None:
    seen: list[set[str]] = []
    for _attempt in range(3):
        attempt = sit(in_quiz, trainee, right=0)
        seen.append(set(attempt.questions.values_list("key", flat=True)))
    assert not seen[0] & seen[1]
    assert not seen[0] & seen[2]
    assert not seen[1] & seen[2]
    assert [a.number for a in QuizAttempt.objects.filter(onboarding=in_quiz)] == [1, 2, 3]


def test_too_little_data_for_a_quiz(manager: Any, trainee: Any) -> None:
    listed_product(
        "碧根果",
        brand="禾田食品",
        origin="安徽合肥",
        shelf_life="12个月",
        storage="密封冷藏",
        skus=[("NUT-500", "500g", "59.90")],
    )
    onboarding = read_all(start(manager, trainee), trainee)
    assert onboarding.state == TrainingState.QUIZ
    # One price question (with made-up wrong prices) is all one product gives.
    with pytest.raises(ConflictError, match="list products or write reply scripts"):
        services.quiz_start(onboarding_id=onboarding.pk, by=trainee)
    assert not QuizAttempt.objects.exists()
    ReplyScriptFactory.create_batch(4)
    attempt = services.quiz_start(onboarding_id=onboarding.pk, by=trainee)
    assert attempt.total == 4  # a pool of five, less one
