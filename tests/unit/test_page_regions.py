"""provdir.extract.page: HTML -> text blocks labelled with the page region they sit in."""

from __future__ import annotations

import pytest

from provdir.extract.page import clean_text, parse_page, same_site

URL = "https://www.cedarbluffrecovery.example/"


def doc(body: str, head: str = "<title>Cedar Bluff Recovery</title>") -> str:
    return f'<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8">{head}</head><body>{body}</body></html>'


def region_of(html: str, text: str) -> str:
    """Region of the one block whose text contains ``text`` (fails if none or several)."""
    page = parse_page(html, URL)
    hits = [b for b in page.blocks if text in b.flat]
    assert len(hits) == 1, [(b.region, b.flat) for b in page.blocks]
    return hits[0].region


def texts(html: str) -> list[str]:
    return [b.flat for b in parse_page(html, URL).blocks]


# A typical WordPress theme page: top bar, masthead with logo and nested menus, content,
# widget sidebar, footer with contact details and copyright.
WORDPRESS = doc(
    """
<div id="page" class="site">
  <div class="top-bar"><span>Call 24/7: <a href="tel:+14175550123">(417) 555-0123</a></span></div>
  <header id="masthead" class="site-header">
    <div class="site-branding">
      <a href="/" rel="home"><img class="custom-logo" src="/wp-content/uploads/2021/03/cedar-bluff-logo.png"
         alt="Cedar Bluff Recovery logo"></a>
      <p class="site-description">Hope starts here</p>
    </div>
    <nav id="site-navigation" class="main-navigation">
      <div class="menu-main-container"><ul id="primary-menu" class="menu">
        <li class="menu-item"><a href="/about-us/">About Us</a></li>
        <li class="menu-item menu-item-has-children"><a href="/programs/">Programs</a>
          <ul class="sub-menu">
            <li class="menu-item"><a href="/programs/inpatient-detox/">Inpatient / Detox</a></li>
            <li class="menu-item"><a href="/programs/partial-hospitalization/">Partial Hospitalization Program</a></li>
          </ul>
        </li>
        <li class="menu-item"><a href="/contact/">Contact</a></li>
      </ul></div>
    </nav>
  </header>
  <div id="content" class="site-content">
    <main id="main" class="site-main">
      <article class="page type-page">
        <h1 class="entry-title">Welcome to Cedar Bluff Recovery</h1>
        <div class="entry-content">
          <p>Our team has helped families across the Ozarks since 2009.</p>
        </div>
      </article>
    </main>
    <aside id="secondary" class="widget-area">
      <section id="recent-posts-2" class="widget widget_recent_entries">
        <h2 class="widget-title">Recent Posts</h2>
        <ul><li><a href="/blog/what-to-expect-in-detox/">What to Expect in Detox</a></li></ul>
      </section>
    </aside>
  </div>
  <footer id="colophon" class="site-footer">
    <div class="footer-widgets"><p>Cedar Bluff Recovery<br>2706 South River Road<br>Springfield, MO 65804</p></div>
    <div class="site-info">&copy; 2024 Cedar Bluff Recovery. All rights reserved.</div>
  </footer>
</div>
"""
)


# --- HTML5 elements -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "region"),
    [("nav", "nav"), ("header", "header"), ("footer", "footer"), ("aside", "sidebar"), ("main", "main")],
)
def test_html5_element_sets_region(tag, region):
    html = doc(f"<{tag}><p>Serving the Ozarks since 2009</p></{tag}>")
    assert region_of(html, "Serving the Ozarks") == region


def test_text_outside_any_region_is_main():
    html = doc('<div class="container"><p>Serving the Ozarks since 2009</p></div>')
    assert region_of(html, "Serving the Ozarks") == "main"


# --- class/id-based regions (themes without HTML5 elements) -------------------------------


@pytest.mark.parametrize(
    ("attrs", "region"),
    [
        ('id="footer"', "footer"),
        ('class="site-footer"', "footer"),
        ('id="colophon"', "footer"),
        ('class="copyright"', "footer"),
        ('class="bottom-bar"', "footer"),
        ('class="menu-main-container"', "nav"),
        ('id="navbar"', "nav"),
        ('class="mega-menu"', "nav"),
        ('class="breadcrumbs"', "nav"),
        ('id="header"', "header"),
        ('id="masthead"', "header"),
        ('class="site-header"', "header"),
        ('id="sidebar"', "sidebar"),
        ('class="widget-area"', "sidebar"),
        ('class="col-md-4 rightsidebar"', "sidebar"),
    ],
)
def test_class_or_id_sets_region(attrs, region):
    html = doc(f"<div {attrs}><p>Serving the Ozarks since 2009</p></div>")
    assert region_of(html, "Serving the Ozarks") == region


@pytest.mark.parametrize(
    ("role", "region"),
    [
        ("navigation", "nav"),
        ("banner", "header"),
        ("contentinfo", "footer"),
        ("complementary", "sidebar"),
        ("main", "main"),
    ],
)
def test_role_attribute_sets_region(role, region):
    html = doc(f'<div role="{role}"><p>Serving the Ozarks since 2009</p></div>')
    assert region_of(html, "Serving the Ozarks") == region


@pytest.mark.parametrize(
    "attrs",
    ['class="navigator-quote"', 'class="headerless-layout"', 'id="footnotes"', 'class="entry-content"'],
)
def test_region_words_inside_longer_class_names_do_not_count(attrs):
    html = doc(f"<div {attrs}><p>Serving the Ozarks since 2009</p></div>")
    assert region_of(html, "Serving the Ozarks") == "main"


# --- nesting --------------------------------------------------------------------------------


def test_menu_inside_header_is_nav():
    assert region_of(WORDPRESS, "Inpatient / Detox") == "nav"


def test_header_branding_is_header():
    assert region_of(WORDPRESS, "Hope starts here") == "header"


def test_nested_sub_menu_items_are_nav():
    assert region_of(WORDPRESS, "Partial Hospitalization Program") == "nav"


def test_top_bar_is_nav():
    assert region_of(WORDPRESS, "Call 24/7") == "nav"


def test_widget_inside_footer_stays_footer():
    assert region_of(WORDPRESS, "2706 South River Road") == "footer"


def test_widget_area_beside_content_is_sidebar():
    assert region_of(WORDPRESS, "Recent Posts") == "sidebar"
    assert region_of(WORDPRESS, "What to Expect in Detox") == "sidebar"


def test_article_inside_main_is_main():
    assert region_of(WORDPRESS, "helped families across the Ozarks") == "main"


def test_copyright_line_is_footer():
    assert region_of(WORDPRESS, "All rights reserved") == "footer"


def test_menu_inside_footer_is_nav():
    html = doc(
        '<footer class="site-footer"><div class="menu-footer-menu-container"><ul class="menu">'
        '<li><a href="/privacy/">Privacy Policy</a></li></ul></div>'
        "<p>Serving the Ozarks since 2009</p></footer>"
    )
    assert region_of(html, "Privacy Policy") == "nav"
    assert region_of(html, "Serving the Ozarks") == "footer"


def test_sidebar_widget_inside_footer_is_footer():
    html = doc('<div id="footer"><div class="widget"><p>Serving the Ozarks since 2009</p></div></div>')
    assert region_of(html, "Serving the Ozarks") == "footer"


def test_region_inside_main_takes_its_own_marker():
    html = doc('<main><div class="sidebar"><p>Serving the Ozarks since 2009</p></div></main>')
    assert region_of(html, "Serving the Ozarks") == "sidebar"


# --- hidden and non-visible content ---------------------------------------------------------


@pytest.mark.parametrize(
    "hidden_div",
    [
        "<template><p>Lorem ipsum medical detox placeholder</p></template>",
        '<template id="tmpl-card"><div class="card"><h3>Lorem ipsum medical detox placeholder</h3></div></template>',
        "<noscript><p>Lorem ipsum medical detox placeholder</p></noscript>",
        "<script>var t = 'Lorem ipsum medical detox placeholder';</script>",
        "<style>/* Lorem ipsum medical detox placeholder */</style>",
        "<svg><title>Lorem ipsum medical detox placeholder</title></svg>",
        '<iframe src="/map">Lorem ipsum medical detox placeholder</iframe>',
        "<select><option>Lorem ipsum medical detox placeholder</option></select>",
    ],
)
def test_hidden_template_leftover_text_ignored(hidden_div):
    html = doc(f"<main><p>Serving the Ozarks since 2009</p>{hidden_div}</main>")
    all_text = " ".join(texts(html))
    assert "Lorem ipsum" not in all_text
    assert "Serving the Ozarks" in all_text


def test_hidden_dropdown_menu_still_counts():
    html = doc(
        '<nav><ul><li><a href="/programs/">Programs</a>'
        '<ul class="sub-menu" style="display:none"><li><a href="/programs/iop/">Intensive Outpatient</a></li>'
        "</ul></li></ul></nav>"
    )
    assert region_of(html, "Intensive Outpatient") == "nav"


def test_text_after_skipped_element_kept():
    html = doc("<p>Call <script>track()</script>today for a free assessment</p>")
    assert texts(html) == ["Call today for a free assessment"]


def test_inline_hidden_accordion_panel_is_read():
    # display:none panels are accordions and tabs a script opens: the provider's own content.
    html = doc(
        '<main><div class="accordion"><button>Our Locations</button>'
        '<div class="accordion-panel" style="display: none"><p>Joplin Outpatient Office</p></div></div></main>'
    )
    assert region_of(html, "Joplin Outpatient Office") == "main"


def test_body_classes_do_not_set_a_region():
    html = (
        '<html><head><title>x</title></head><body class="home header-overlay-left footer-widgets-3">'
        "<p>Serving the Ozarks since 2009</p></body></html>"
    )
    assert region_of(html, "Serving the Ozarks") == "main"


def test_explicit_main_inside_a_themed_wrapper_is_main():
    html = doc('<div class="site-header-wrapper"><main id="main"><p>Serving the Ozarks since 2009</p></main></div>')
    assert region_of(html, "Serving the Ozarks") == "main"


def test_html_comment_skipped_but_following_text_kept():
    html = doc("<p><!-- TODO: add detox page -->We are here to help.</p>")
    assert texts(html) == ["We are here to help."]


# --- blocks ---------------------------------------------------------------------------------


def test_br_becomes_line_break_inside_one_block():
    html = doc("<address>Cedar Bluff Recovery<br>2706 South River Road<br/>Springfield, MO 65804</address>")
    page = parse_page(html, URL)
    assert len(page.blocks) == 1
    assert page.blocks[0].lines == ["Cedar Bluff Recovery", "2706 South River Road", "Springfield, MO 65804"]
    assert page.blocks[0].flat == "Cedar Bluff Recovery 2706 South River Road Springfield, MO 65804"


def test_inline_elements_join_their_block():
    html = doc("<p>We offer <strong>medically supervised</strong> <em>detox</em> on site.</p>")
    assert texts(html) == ["We offer medically supervised detox on site."]


def test_each_paragraph_is_its_own_block():
    html = doc("<div><p>First paragraph here.</p><p>Second paragraph here.</p></div>")
    assert texts(html) == ["First paragraph here.", "Second paragraph here."]


def test_text_after_nested_block_returns_to_outer_block():
    html = doc("<div>Before the list<ul><li>Item one</li></ul>After the list</div>")
    page = parse_page(html, URL)
    assert [(b.flat, b.tag) for b in page.blocks] == [
        ("Before the list", "div"),
        ("Item one", "li"),
        ("After the list", "div"),
    ]


def test_text_after_nested_heading_is_not_a_heading():
    html = doc('<div class="entry-content"><h3>Our Approach</h3>Detox is a process that clears substances.</div>')
    block = next(b for b in parse_page(html, URL).blocks if b.flat.startswith("Detox is"))
    assert block.heading is False
    assert block.tag == "div"


def test_text_after_nested_menu_keeps_outer_region():
    html = doc(
        '<footer>Cedar Bluff Recovery<div class="menu"><a href="/privacy/">Privacy Policy</a></div>'
        "Copyright 2024 Cedar Bluff Recovery</footer>"
    )
    assert region_of(html, "Privacy Policy") == "nav"
    assert region_of(html, "Copyright 2024") == "footer"


@pytest.mark.parametrize("tag", ["h1", "h2", "h3", "h4", "h5", "h6"])
def test_headings_are_flagged(tag):
    html = doc(f"<{tag}>Our Programs</{tag}><p>Body text follows.</p>")
    blocks = parse_page(html, URL).blocks
    assert blocks[0].heading is True
    assert blocks[0].tag == tag
    assert blocks[1].heading is False


def test_list_items_are_flagged_in_list():
    html = doc("<ul><li>Individual therapy</li></ul><p>Not a list item.</p>")
    blocks = parse_page(html, URL).blocks
    assert [b.in_list for b in blocks] == [True, False]


def test_menu_item_block_records_absolute_link():
    page = parse_page(WORDPRESS, URL)
    block = next(b for b in page.blocks if b.flat == "Inpatient / Detox")
    assert block.link_href == "https://www.cedarbluffrecovery.example/programs/inpatient-detox/"


def test_block_with_text_beside_its_link_has_no_link_href():
    html = doc('<p>Read our <a href="/insurance/">insurance page</a> for details.</p>')
    assert parse_page(html, URL).blocks[0].link_href is None


def test_block_indexes_are_sequential():
    page = parse_page(WORDPRESS, URL)
    assert [b.index for b in page.blocks] == list(range(len(page.blocks)))


def test_text_of_region_joins_that_region_only():
    page = parse_page(WORDPRESS, URL)
    footer = page.text_of("footer")
    assert "2706 South River Road" in footer
    assert "Recent Posts" not in footer


# --- images, links, tel links, meta ---------------------------------------------------------


def test_logo_image_recorded_with_alt_and_region():
    page = parse_page(WORDPRESS, URL)
    assert len(page.images) == 1
    img = page.images[0]
    assert img.alt == "Cedar Bluff Recovery logo"
    assert img.src.endswith("cedar-bluff-logo.png")
    assert img.region == "header"


def test_lazy_loaded_image_uses_data_src():
    html = doc('<footer><img data-src="/wp-content/uploads/carf-seal.png" alt="" title="CARF"></footer>')
    img = parse_page(html, URL).images[0]
    assert (img.src, img.title, img.region) == ("/wp-content/uploads/carf-seal.png", "CARF", "footer")


def test_tel_link_recorded_with_text_context_and_region():
    page = parse_page(WORDPRESS, URL)
    assert len(page.tel_links) == 1
    link = page.tel_links[0]
    assert link.href == "tel:+14175550123"
    assert link.text == "(417) 555-0123"
    assert "Call 24/7" in link.context
    assert link.region == "nav"


def test_icon_only_tel_link_uses_aria_label():
    html = doc(
        '<header><a href="tel:4175550123" aria-label="Call Cedar Bluff"><i class="fa fa-phone"></i></a></header>'
    )
    link = parse_page(html, URL).tel_links[0]
    assert link.text == "Call Cedar Bluff"
    assert link.region == "header"


def test_links_are_absolute_and_skip_mailto_fragment_and_javascript():
    html = doc(
        '<p><a href="/admissions/">Admissions</a> <a href="mailto:info@cedarbluff.example">Email</a> '
        '<a href="#top">Top</a> <a href="javascript:void(0)">Menu</a> '
        '<a href="https://partner.example/">Partner</a></p>'
    )
    links = parse_page(html, URL).links
    assert links == [
        ("https://www.cedarbluffrecovery.example/admissions/", "Admissions"),
        ("https://partner.example/", "Partner"),
    ]


def test_meta_keys_lower_cased():
    html = doc(
        "",
        head='<title>Home</title><meta property="og:site_name" content="Cedar Bluff Recovery">'
        '<meta name="Description" content="Addiction treatment in Springfield">',
    )
    meta = parse_page(html, URL).meta
    assert meta["og:site_name"] == "Cedar Bluff Recovery"
    assert meta["description"] == "Addiction treatment in Springfield"


def test_title_is_cleaned():
    html = doc("", head="<title>\n  Detox &amp; Residential  |  Cedar Bluff\n</title>")
    assert parse_page(html, URL).title == "Detox & Residential | Cedar Bluff"


# --- text cleaning --------------------------------------------------------------------------


def test_entities_and_non_breaking_spaces_decoded():
    html = doc("<p>Drug&nbsp;&amp;&nbsp;Alcohol&#160;Rehab</p>")
    assert texts(html) == ["Drug & Alcohol Rehab"]


def test_double_encoded_entity_decoded():
    html = doc("<p>Detox &amp;amp; Stabilization</p>")
    assert texts(html) == ["Detox & Stabilization"]


def test_curly_quotes_straightened():
    html = doc("<p>\u201cWe\u2019re here,\u201d said the director.</p>")
    assert texts(html) == ['"We\'re here," said the director.']


def test_soft_hyphen_and_zero_width_space_removed():
    assert clean_text("detoxi\u00adfication\u200b program") == "detoxification program"


def test_clean_text_collapses_spaces_per_line_and_drops_blank_lines():
    assert clean_text("  2706   South River Road \n\n   Springfield,  MO  ") == (
        "2706 South River Road\nSpringfield, MO"
    )


# --- robustness -----------------------------------------------------------------------------


@pytest.mark.parametrize("html", ["", "   ", "\n\n"])
def test_empty_html_gives_empty_page(html):
    page = parse_page(html, URL)
    assert page.blocks == []
    assert page.title == ""


def test_malformed_html_does_not_raise_and_keeps_text():
    html = "<html><body><div><p>Unclosed paragraph<li>stray item</div></span><footer>Footer text"
    page = parse_page(html, URL)
    joined = " ".join(b.flat for b in page.blocks)
    assert "Unclosed paragraph" in joined
    assert "Footer text" in joined


def test_same_site_compares_host_and_port():
    assert same_site("https://cedarbluff.example/contact/", "https://cedarbluff.example/")
    assert not same_site("https://blog.cedarbluff.example/", "https://cedarbluff.example/")
    assert not same_site("http://127.0.0.1:8001/", "http://127.0.0.1:8002/")
