from hypothesis import given
from hypothesis import strategies as st

from ingestd.read.legacy import decode_tcvn3, decode_vni, detect_legacy, encode_tcvn3, encode_vni, to_unicode
from ingestd.read.vntext import clean, fold, nfc

SENTENCE = ("Thực hiện Văn bản số 760/UBND-TH ngày 10 tháng 5 năm 2019 của Ủy ban nhân dân tỉnh "
            "Lai Châu về việc hoàn thiện thể chế, chính sách đầu tư xây dựng kết cấu hạ tầng")


def test_fold_removes_diacritics_and_keeps_length():
    assert fold("Văn bản") == "van ban"
    assert fold("ĐƯỜNG Ðất đai") == "duong dat dai"     # Đ (U+0110) and Ð (U+00D0)
    assert fold("56/TTr – SCT") == "56/ttr - sct"
    assert len(fold(SENTENCE)) == len(SENTENCE)


def test_windows_1258_combining_marks_become_nfc():
    decomposed = "Vie\u0302\u0323t Nam"                 # how cp1258 text decodes
    assert nfc(decomposed) == "Việt Nam"
    assert clean("a\x00b\r\nc") == "ab\nc"


def test_tcvn3_round_trip_and_detection():
    legacy = encode_tcvn3(SENTENCE)
    assert legacy != SENTENCE and ("¸" in legacy or "µ" in legacy)
    text, enc = to_unicode(legacy)
    assert enc == "tcvn3"
    assert fold(text) == fold(SENTENCE)


def test_vni_round_trip_and_detection():
    legacy = encode_vni(SENTENCE)
    text, enc = to_unicode(legacy)
    assert enc == "vni"
    assert text == SENTENCE


def test_font_name_decides():
    assert detect_legacy("B¸o c¸o", font=".VnTime") == "tcvn3"
    assert detect_legacy("Baùo caùo", font="VNI-Times") == "vni"


def test_ordinary_latin1_text_is_left_alone():
    for text in ("Café crème brûlée à Paris", "Résumé naïve façade", SENTENCE, "plain ascii"):
        assert to_unicode(text) == (text, None)


@given(st.text(max_size=200))
def test_decoders_never_fail(text):
    decode_tcvn3(text)
    decode_vni(text)
    to_unicode(text)
    assert len(fold(nfc(text))) == len(nfc(text))
