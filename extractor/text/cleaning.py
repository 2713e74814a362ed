"""Line-level boilerplate removal for scraped news text, with a map back to the original.

Scraped pages carry the article plus what surrounded it on the page: spam headers,
banners, breadcrumbs, publication-metadata lines, editor credits (责编/一审), related
headline lists, comment forms, captchas, separator lines. Sending those to the model
costs tokens and invites facts from the wrong article, so they are removed line by
line. Every character of the cleaned text keeps the index of the original character it
came from, so evidence spans found in the cleaned text point into the original.

How a line is judged (all languages at once: pages mix scripts, and the ``lang`` hint
is optional):

1. Pattern rules give a reason for lines that are boilerplate wherever they stand
   (captcha arithmetic, separator lines, spam, editor credits, metadata, navigation,
   comment forms, disclaimers, related-reading headers).
2. Content features mark *strong* body lines: prose that ends with sentence-final
   punctuation or is long with clause punctuation.
3. Context: the article runs from the first strong line to the last strong line (or short
   sentence stating a figure: "The hospital added 200 beds.") before an end marker (editor
   credits, "来源", "کد خبر", related-reading header, disclaimer, comment form). Short lines
   inside that region (lists, sub-headings, a list of member institutions) are body; lines
   after it (headline lists) are not, unless introduced by a list lead-in ("名单",
   "following:"). Before the region only the last headline-like line (the title) is kept.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

from .textnorm import PINYIN_ANNOTATION, strip_pinyin

__all__ = ["RemovedLine", "CleanText", "clean_text", "clean_by_lines", "split_lines", "CLEANING_VERSION"]

# Part of every request's fingerprint: bump it when the cleaner removes different lines,
# since a different cleaned text is a different question to the model.
CLEANING_VERSION = "2"


@dataclass(frozen=True)
class RemovedLine:
    """A removed line: 1-based ``line_no`` and ``[start, end)`` in the original text."""

    line_no: int
    start: int
    end: int
    text: str
    reason: str


@dataclass(frozen=True)
class CleanText:
    """Cleaned text plus the map to the original.

    ``offsets[i]`` is the original index of cleaned character ``i``; it has one extra
    entry (the original length or the end of the last kept line) so exclusive ends map.
    ``kept`` lists the 1-based original line numbers that were kept.
    """

    text: str
    original: str
    removed: tuple[RemovedLine, ...]
    offsets: Sequence[int] = field(default=(), repr=False, compare=False)
    kept: tuple[int, ...] = field(default=(), repr=False)

    def to_original(self, offset: int) -> int:
        """Map an offset in the cleaned text to an offset in the original text."""
        if not 0 <= offset <= len(self.text):
            raise ValueError(f"offset {offset} outside cleaned text of length {len(self.text)}")
        return self.offsets[offset]

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the cleaned text to a span of the original.

        The end maps to just after the original character of ``text[end-1]``, so a span
        never swallows text that was removed after it (dropped pinyin, removed lines).
        """
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) outside cleaned text of length {len(self.text)}")
        if start == end:
            o = self.offsets[start]
            return o, o
        return self.offsets[start], self.offsets[end - 1] + 1

    def debug_view(self) -> str:
        """The original lines, each marked ``+`` (kept) or ``-`` (removed, with reason)."""
        reasons = {r.line_no: r.reason for r in self.removed}
        kept = set(self.kept)
        out = []
        for no, (_s, _e, line) in enumerate(split_lines(self.original), 1):
            body = line.rstrip("\r\n")
            if no in kept:
                out.append(f"+ {no:4d} {body}")
            elif no in reasons:
                out.append(f"- {no:4d} {body}   [{reasons[no]}]")
            else:
                out.append(f"  {no:4d} {body}")
        return "\n".join(out)


def split_lines(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, line_with_ending)`` for each line as ``str.splitlines()`` splits it."""
    out = []
    pos = 0
    for line in text.splitlines(keepends=True):
        out.append((pos, pos + len(line), line))
        pos += len(line)
    return out


# --------------------------------------------------------------------------- features

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W\d_]+")
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u3000\xa0"
# Sentence-final punctuation; a trailing short parenthetical byline like (王富艳) and
# closing quotes are stripped before the check.
_FINAL_STRONG = "。.．"
_FINAL_WEAK = "!?！？؟…"
_TRAILING_JUNK = re.compile(r"(?:[\s”’」』\"')）]|[(（][^()（）]{1,12}[)）])+$")
_TERMINATORS = re.compile(r"[。！？!?؟]|\.(?=\s|$)|…+")
_BULLET = re.compile(r"^[•●◆◇■□▪▫·\-*–—>»]+\s*")
_CLAUSE = re.compile(r"[，,、;；:：،؛]")


def _size(s: str) -> int:
    """Rough content size: Han characters count 1, other words 2 (a word ~ 2 Han chars)."""
    han = len(_HAN.findall(s))
    words = len(_WORD.findall(_HAN.sub(" ", s)))
    return han + 2 * words


def _final_char(s: str) -> str:
    s2 = _TRAILING_JUNK.sub("", s)
    if s2.endswith(".."):  # "现场一片狼藉......": an ellipsis, the mark of a teaser headline
        return "…"
    # A space (never a punctuation mark) for an empty result: '' would be "in" any string.
    return s2[-1] if s2 else " "


def _is_strong(s: str) -> bool:
    """Prose-like: ends with sentence punctuation at a decent length, or is long with
    clause punctuation (a paragraph cut off without its full stop)."""
    size = _size(s)
    fin = _final_char(s)
    if fin in _FINAL_STRONG and size >= 12:
        return True
    if fin in _FINAL_WEAK and size >= 20:
        return True
    return size >= 80 and len(_CLAUSE.findall(s)) >= 2


def _is_figure_sentence(s: str) -> bool:
    """A short sentence that states a figure (据悉，全年培训8000余人次。 The hospital added 200
    beds.): after the body it is the article's last line, not a headline (headlines end
    without a full stop and lists of them are what follows an article)."""
    return _final_char(s) in _FINAL_STRONG + _FINAL_WEAK and _size(s) >= 6 and bool(_DIGITS.search(s))


_DIGITS = re.compile(r"\d")
# "Updated 10:32 a.m. on May 3, 2024.", 更新于2024年5月3日。: a dateline or credit, no body sentence.
_DATELINE = re.compile(r"(?i:(?:last[ \t]+)?(?:updated|posted|published|modified|edited|written|reported)\b)"
                       r"|(?:更新|发布于|發布於|发布时间|發佈時間|发表于|發表於|编辑|編輯|责编|責編|来源|來源)"
                       r"|(?:آخرین[ \t\u200c]*(?:به[ \t\u200c]*روز)|تاریخ[ \t]+انتشار|منتشر[ \t]+شده|آخر[ \t]+تحديث"
                       r"|تاريخ[ \t]+النشر|نشر[ \t]+في|تم[ \t]+النشر)")


def _is_substantial(s: str) -> bool:
    """Strong and clearly a paragraph (several sentences, or long): used to resume the
    body after an end marker that turned out to be mid-article."""
    if not _is_strong(s) or _BULLET.match(s) or _final_char(s) not in _FINAL_STRONG:
        return False
    return _size(s) >= 60 or len(_TERMINATORS.findall(s)) >= 2 and _size(s) >= 40


# --------------------------------------------------------------------------- patterns

def _rx(*alts: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile("|".join(alts), flags)


_DIGIT = r"[0-9۰-۹٠-٩０-９]"
_CAPTCHA = re.compile(rf"^{_DIGIT}+\s*[+\-×xX*÷]\s*{_DIGIT}+\s*=+\s*[?？]?\s*$")

# Words typical of the porn/gambling spam that hijacked sites put in their headers.
_SPAM_WORDS = (
    "视频", "在线", "无码", "久久", "精品", "国产", "亚洲", "一区二区", "天堂", "成人",
    "色情", "午夜", "日韩", "欧美", "人妻", "偷拍", "福利", "av", "高清", "免费观看", "黄色",
    "彩票", "博彩", "娱乐城", "体育app", "app入口", "app下载", "casino", "porn", "xxx",
    "sex", "betting",
)

_EDITOR = _rx(
    r"^[\[(（【]?\s*(责编|責編|责任编辑|責任編輯|编辑|編輯|一审|二审|三审|终审|一審|二審|三審|終審"
    r"|校对|校對|审核|審核|审校|審校|监制|監製|编审|編審|美编|美編|值班编辑|实习编辑|实习生|實習生"
    r"|editor|edited by|ویراستار|دبیر|المحرر|تحرير)\s*[:：/|]"
)
_METADATA = _rx(
    r"^(来源|來源|稿源|出处|出處|发布时间|發布時間|发布日期|發布日期|发表时间|發表時間|时间|時間|日期"
    r"|作者|记者|記者|通讯员|通訊員|撰文|摄影|攝影|source|published|posted|updated|date|photo"
    r"|منبع|تاریخ انتشار|تاریخ|زمان انتشار|کد خبر|شناسه خبر|نویسنده|خبرنگار"
    r"|المصدر|تاريخ النشر|نشر في|آخر تحديث|الكاتب|بقلم)\s*[:：/|]",
    r"(发布时间|發布時間|浏览次数|瀏覽次數|阅读量|閱讀量|点击数|點擊數|字号|字號|责任编辑|責任編輯)\s*[:：]",
    r"^by\s+[A-Z][\w.'’-]+(\s+[A-Z][\w.'’-]+){0,3}\s*([,|·-].*)?$",
)
_BY_LINE = re.compile(r"^By\s+[A-Z]")  # the byline rule above is case-sensitive in spirit
_NAV = _rx(
    r"(当前位置|當前位置|您的位置|你的位置|所在位置|首页\s*[>›»/]|首頁\s*[>›»/]|上一篇|下一篇|上一条|下一条"
    r"|上一條|下一條|返回顶部|返回頂部|返回首页|返回首頁|关闭窗口|關閉窗口|打印本页|打印本頁|分享到|扫一扫"
    r"|掃一掃|点个在看|點個在看|收录于话题|收錄於話題|预览时标签|預覽時標籤|长按识别|長按識別|关注我们|關注我們)",
    r"^(关闭|關閉|返回|打印|收藏|close|print|share|menu|home|login|log in|sign in)(\s|$)",
    r"(you are here|^home\s*[>›»/|]|skip to (main )?content|back to top|share (this|on)|follow us"
    r"|subscribe|sign up for|newsletter|advertisement|cookies?\b|all rights reserved|copyright|©)",
    r"(版权所有|版權所有|صفحه اصلی|اشتراک ?گذاری|کلیه حقوق|برچسب|کلید ?واژه|الرئيسية|تابعونا"
    r"|جميع الحقوق|الكلمات الدلالية|الكلمات المفتاحية|^وسوم|شارك (هذا|المقال|الخبر)|^tags?\s*[:：]?\s*$|^tags\s*:)",
)
_RELATED = _rx(
    r"^[\s●•·*\-]*(相关阅读|相關閱讀|相关新闻|相關新聞|延伸阅读|延伸閱讀|推荐阅读|推薦閱讀|热门推荐|熱門推薦"
    r"|猜你喜欢|猜你喜歡|更多新闻|更多新聞|相关文章|相關文章|热点新闻|熱點新聞|相关链接|相關鏈接|精彩推荐|精彩推薦"
    r"|related( articles| stories| news| posts| coverage)?|read (more|also|next)|more (stories|news|from)"
    r"|you may also like|recommended( for you| stories)?|most (read|popular)|latest news|trending"
    r"|اخبار مرتبط|مطالب مرتبط|خبرهای مرتبط|پربازدید|پربازدیدترین|آخرین اخبار|بیشتر بخوانید"
    r"|اقرأ أيضا|اقرأ أيضاً|اقرأ ايضا|مواضيع ذات صلة|أخبار ذات صلة|أخبار متعلقة|الأكثر قراءة|آخر الأخبار)"
    r"\s*[:：]?\s*$",
    r"^(اقرأ أيضا|اقرأ أيضاً|اقرأ ايضا|بیشتر بخوانید|read (more|also)|相关阅读|相關閱讀|延伸阅读|延伸閱讀)\s*[:：]",
)
_COMMENT = _rx(
    r"(^نظر شما|ارسال نظر|در حال پاسخ به نظر|^نظرات$|نظرات حاوی|نظراتی که|منتشر نمی ?‌?شود|^نظرات کاربران"
    r"|التعليقات|أضف تعليق|اترك تعليقا|اترك تعليقاً|leave a (comment|reply)|post a comment|^comments?\s*(\(\d+\))?$"
    r"|your email address|required fields are marked|^name\s*\*?$|^email\s*\*?$|发表评论|發表評論|我要评论|我要評論"
    r"|网友评论|網友評論|评论\s*[(（]|評論\s*[(（]|验证码|驗證碼|captcha)"
)
_DISCLAIMER = _rx(
    r"^[\s(（]*(特别声明|特別聲明|免责声明|免責聲明|版权声明|版權聲明|声明\s*[:：]|聲明\s*[:：]|disclaimer)"
)
# Lead-ins to a list that legitimately continues the article after its last paragraph.
_LIST_INTRO = _rx(
    r"(名单|名單|如下|以下|清单|清單|[:：]\s*$|following|list of|قائمة|التالية|فهرست|عبارتند از|به شرح زیر|زیر است)"
)
# Reasons that mark the end of the article when they follow its body.
_END_REASONS = {"editor_credit", "disclaimer", "related_headlines", "comment_form", "captcha", "metadata"}
_END_NAV = _rx(r"(上一篇|下一篇|上一条|下一条|上一條|下一條|برچسب|^tags?\b|share|分享到|اشتراک)")


def _spam_hits(s: str) -> int:
    low = s.lower()
    return sum(1 for w in _SPAM_WORDS if w in low)


def _pattern_reason(s: str) -> str | None:
    """Reason for a line that is boilerplate wherever it stands, else None."""
    if _CAPTCHA.match(s):
        return "captcha"
    if not any(ch.isalnum() for ch in s):
        return "separator"
    short = len(s) <= 160
    no_final = _final_char(s) not in _FINAL_STRONG
    hits = _spam_hits(s)
    if hits >= 3 and no_final or hits >= 2 and len(_CLAUSE.findall(s)) >= 3 and no_final:
        return "spam"
    if _DISCLAIMER.search(s):
        return "disclaimer"
    if not short:
        return None
    if _EDITOR.search(s) and len(s) <= 80:
        return "editor_credit"
    if _RELATED.search(s):
        return "related_headlines"
    if _COMMENT.search(s):
        return "comment_form"
    if _METADATA.search(s) and (len(s) <= 120):
        m = _METADATA.search(s)
        # "By ..." only as a byline: capitalised name, no sentence after it.
        if m and m.group(0).lower().startswith("by") and not (_BY_LINE.match(s) and no_final):
            pass
        else:
            return "metadata"
    if _NAV.search(s) and len(s) <= 100:
        return "navigation"
    return None


def _tail_reason(s: str) -> str:
    """Reason for an unnamed line outside the article: headline-sized lines are the
    related-headline lists pages put after the article."""
    return "related_headlines" if _size(s) < 60 or not _is_strong(s) else "trailing"


def _norm(s: str) -> str:
    return _NORM_DROPS.sub("", s)


# What _norm leaves out: whitespace (as str.isspace says) and the invisible characters.
_NORM_DROPS = re.compile(f"[\\s{_INVISIBLE}]+")


# --------------------------------------------------------------------------- cleaning

class _Page:
    """The lines of one page and what is known of them, for :func:`_classify`'s steps."""

    def __init__(self, lines: list[str]):
        self.n = len(lines)
        # Features are computed on the line without pinyin (責(zé)編 must read as 責編)
        # and without list bullets; the kept text itself is built from the original.
        self.stripped = [strip_pinyin(ln).strip().strip(_INVISIBLE).strip() for ln in lines]
        self.blank = [not s for s in self.stripped]
        self.reason: dict[int, str] = {}
        for i, s in enumerate(self.stripped):
            if not self.blank[i]:
                r = _pattern_reason(_BULLET.sub("", s) or s)
                if r:
                    self.reason[i] = r
        self.strong = [not self.blank[i] and i not in self.reason and _is_strong(self.stripped[i])
                       for i in range(self.n)]
        self.kept: set[int] = set()

    def is_end(self, i: int) -> bool:
        """An end-of-article marker (editor credit, related headlines, comment form...)."""
        r = self.reason.get(i)
        return r in _END_REASONS or (r == "navigation" and bool(_END_NAV.search(self.stripped[i])))

    def resumes(self, i: int) -> bool:
        """A paragraph no rule rejects, long enough to mean the article goes on."""
        return i not in self.reason and _is_substantial(self.stripped[i])

    def body_end(self, first: int) -> int:
        """The last body line: from the first strong line, an end marker closes the body
        unless a substantial paragraph follows (then the marker was mid-article)."""
        region_end, in_body, prev = first, True, first
        for i in range(first, self.n):
            if self.blank[i]:
                continue
            if in_body:
                if self.is_end(i):
                    in_body = False
                elif self.strong[i] or (prev == region_end and i not in self.reason
                                        and _is_figure_sentence(self.stripped[i])
                                        and not _DATELINE.match(self.stripped[i])):
                    # a short figure sentence ends the body only right after it (not after a
                    # list of headlines), and a dateline or credit line never does
                    region_end = i
            elif self.resumes(i):
                in_body, region_end = True, i
            prev = i
        return region_end

    def keep_body(self, first: int, region_end: int) -> None:
        """Inside [first, region_end]: lines no rule rejects, skipping stretches between an
        end marker and a resumed paragraph."""
        in_body = True
        for i in range(first, region_end + 1):
            if self.blank[i]:
                continue
            if in_body and self.is_end(i):
                in_body = False
            elif not in_body and self.resumes(i):
                in_body = True
            if in_body and i not in self.reason:
                self.kept.add(i)
            elif i not in self.reason:
                self.reason[i] = _tail_reason(self.stripped[i])

    def _intro(self, i: int) -> bool:
        s = self.stripped[i]
        return (bool(_LIST_INTRO.search(s)) and not _is_substantial(s)) or _final_char(s) in ":："

    def keep_trailing_list(self, region_end: int) -> int:
        """A list introduced by the last body line ("64家成员单位名单", "the following:")
        continues the article even though no paragraph follows it; returns the last kept line."""
        last, j = region_end, region_end + 1
        if not self._intro(region_end):
            # The lead-in may itself follow the last paragraph ("...in the following towns:").
            k = j
            while k < self.n and self.blank[k]:
                k += 1
            if k < self.n and k not in self.reason and not _is_strong(self.stripped[k]) and self._intro(k):
                self.kept.add(k)
                last, j = k, k + 1
            else:
                j = self.n  # no list follows
        while j < self.n and (self.blank[j] or (j not in self.reason and not _is_strong(self.stripped[j]))):
            if not self.blank[j]:
                self.kept.add(j)
                last = j
            j += 1
        return last

    def keep_title(self, first: int) -> None:
        """Header zone: keep the last headline-like line (the title); drop the rest."""
        seen_later = [_norm(self.stripped[i]) for i in range(first, self.n) if not self.blank[i]]
        candidates = []
        for i in range(first):
            if self.blank[i] or i in self.reason:
                continue
            s = _norm(self.stripped[i])
            later = seen_later + [_norm(self.stripped[j]) for j in range(i + 1, first) if not self.blank[j]]
            if any(t == s or (len(s) >= 15 and t.startswith(s)) for t in later):
                self.reason[i] = "duplicate"
                continue
            candidates.append(i)
        if not candidates:
            return
        title = candidates[-1]
        if _size(self.stripped[title]) <= 120:
            self.kept.add(title)
        else:
            self.reason[title] = "navigation"
        for i in candidates[:-1]:
            self.reason[i] = "navigation"

    def name_tail(self, last: int) -> None:
        """Anything after the body that no rule named."""
        for i in range(last + 1, self.n):
            if not self.blank[i] and i not in self.reason and i not in self.kept:
                self.reason[i] = _tail_reason(self.stripped[i])

    def drop_repeats(self) -> None:
        """Repeated long lines inside the body (pages that print the lead twice)."""
        seen: set[str] = set()
        for i in sorted(self.kept):
            s = _norm(self.stripped[i])
            if len(s) >= 20 and s in seen:
                self.kept.discard(i)
                self.reason[i] = "duplicate"
            seen.add(s)


def _classify(lines: list[str]) -> tuple[set[int], dict[int, str]]:
    """Decide which line indices (0-based) are kept; reasons for the removed ones."""
    page = _Page(lines)
    if not any(page.strong):
        # No prose to anchor on (a list, a short note): keep what no rule rejects rather
        # than risk deleting the article.
        return {i for i in range(page.n) if not page.blank[i] and i not in page.reason}, page.reason
    first = page.strong.index(True)
    region_end = page.body_end(first)
    page.keep_body(first, region_end)
    last = page.keep_trailing_list(region_end)
    page.keep_title(first)
    page.name_tail(last)
    page.drop_repeats()
    return page.kept, page.reason


def clean_by_lines(text: str, keep: set[int] | frozenset[int], *, drop_pinyin: bool = True,
                   reasons: dict[int, str] | None = None) -> CleanText:
    """Build a :class:`CleanText` keeping exactly the 1-based line numbers in ``keep``.

    Kept lines are stripped of surrounding whitespace (and of inline pinyin when
    ``drop_pinyin``); consecutive kept lines are joined by one newline, or by a blank
    line where the original had blank or removed lines between them.
    """
    parts: list[str] = []
    # One machine integer per character (not a Python int object): a 20 MB article's map
    # takes 160 MB, not a gigabyte.
    offs = array("q")
    removed: list[RemovedLine] = []
    kept_nos: list[int] = []
    prev_end: int | None = None  # original index just after the previous kept line's text
    gap = False
    for no, (start, _end, line) in enumerate(split_lines(text), 1):
        body = line.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        if no not in keep:
            if body.strip():
                removed.append(RemovedLine(no, start, start + len(body), body,
                                           (reasons or {}).get(no, "boilerplate")))
            gap = True
            continue
        if not body.strip().strip(_INVISIBLE):
            gap = True
            continue
        lead = len(body) - len(body.lstrip())
        content = body.strip()
        cstart = start + lead
        if prev_end is not None:
            sep = "\n\n" if gap else "\n"
            parts.append(sep)
            offs.extend([prev_end] * len(sep))
        # The line as it is, but for its pinyin annotations: whole runs, their offsets ranges.
        k = 0
        for m in PINYIN_ANNOTATION.finditer(content) if drop_pinyin else ():
            parts.append(content[k:m.start()])
            offs.extend(range(cstart + k, cstart + m.start()))
            k = m.end()
        parts.append(content[k:])
        offs.extend(range(cstart + k, cstart + len(content)))
        prev_end = cstart + len(content)
        kept_nos.append(no)
        gap = False
    offs.append(prev_end if prev_end is not None else len(text))
    return CleanText(text="".join(parts), original=text, removed=tuple(removed),
                     offsets=offs, kept=tuple(kept_nos))


def clean_text(text: str, lang: str | None = None, *, enabled: bool = True,
               drop_pinyin: bool = True) -> CleanText:
    """Remove boilerplate lines (and inline pinyin) from scraped article text.

    ``lang`` is accepted as a hint but every language's patterns always apply, because
    scraped pages mix scripts (a Persian page with an English footer). With
    ``enabled=False`` the text comes back unchanged with an identity map.
    """
    if not enabled:
        return CleanText(text=text, original=text, removed=(),
                         offsets=array("q", range(len(text) + 1)),
                         kept=tuple(range(1, len(text.splitlines()) + 1)))
    lines = [ln for _s, _e, ln in split_lines(text)]
    kept, reason = _classify(lines)
    return clean_by_lines(text, {i + 1 for i in kept}, drop_pinyin=drop_pinyin,
                          reasons={i + 1: r for i, r in reason.items()})
