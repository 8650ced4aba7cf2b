/* Kestrel Point Recovery: a client-rendered single-page app, written by hand for the sample web
   (no build step). The server sends the same empty shell (200.html) for every route; this bundle
   builds the page for location.pathname from the data below, and in-app links change the route
   with history.pushState. Like many real bundles it also calls home: a third-party analytics
   beacon, and a request to a private address (cloud metadata) that the crawler must refuse. */
(function () {
  "use strict";

  var CLINIC = {
    name: "Kestrel Point Recovery",
    tagline: "Outpatient addiction and co-occurring care in Bellingham, Washington",
    street: "2217 Iron Street, Suite 140",
    city: "Bellingham", state: "WA", zip: "98225",
    phone: "(360) 555-0188", tel: "+13605550188",
    fax: "(360) 555-0189",
    hours: "Monday to Friday, 8 a.m. to 7 p.m.; Saturday 9 a.m. to 1 p.m."
  };

  var SERVICES = [
    { title: "Intensive Outpatient Program (IOP)",
      text: "Three-hour group sessions four evenings a week for adults who need more than weekly counseling." },
    { title: "Outpatient Counseling",
      text: "Individual and group outpatient counseling for substance use, one to two sessions a week." },
    { title: "Dual Diagnosis Treatment",
      text: "Integrated care for clients living with both a substance use disorder and depression, anxiety or PTSD." },
    { title: "Family Program",
      text: "A six-week family program that helps partners and parents understand addiction and recovery." }
  ];

  var TITLES = {
    "/": CLINIC.name + " | Outpatient Addiction Treatment in Bellingham, WA",
    "/services/": "Services | " + CLINIC.name,
    "/about/": "About | " + CLINIC.name,
    "/contact/": "Contact | " + CLINIC.name
  };

  var ROUTES = {
    "/": home, "/services/": services, "/about/": about, "/contact/": contact
  };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function link(href, text) {
    var a = el("a", { href: href }, [text]);
    a.addEventListener("click", function (event) {
      event.preventDefault();
      history.pushState({}, "", href);
      render();
    });
    return a;
  }

  function header() {
    return el("header", { "class": "app-header" }, [
      el("div", { "class": "brand" }, [link("/", CLINIC.name)]),
      el("div", { "class": "call" }, ["Call us: ", el("a", { href: "tel:" + CLINIC.tel }, [CLINIC.phone])]),
      el("nav", { "class": "app-nav" }, [
        el("ul", {}, [
          el("li", {}, [link("/", "Home")]),
          el("li", {}, [link("/services/", "Services")]),
          el("li", {}, [link("/about/", "About")]),
          el("li", {}, [link("/contact/", "Contact")])
        ])
      ])
    ]);
  }

  function footer() {
    return el("footer", { "class": "app-footer" }, [
      el("p", {}, [el("strong", {}, [CLINIC.name])]),
      el("address", {}, [
        CLINIC.street, el("br"), CLINIC.city + ", " + CLINIC.state + " " + CLINIC.zip, el("br"),
        "Phone: " + CLINIC.phone, el("br"), "Fax: " + CLINIC.fax
      ]),
      el("p", {}, ["Kestrel Point Recovery is accredited by CARF (Commission on Accreditation of Rehabilitation Facilities)."]),
      el("img", { src: "/static/media/carf-seal.png", alt: "CARF accredited" }),
      el("p", { "class": "fine" }, ["\u00a9 2025 Kestrel Point Recovery. If you are in crisis, call or text 988."])
    ]);
  }

  function home() {
    return [
      el("h1", {}, [CLINIC.name]),
      el("p", {}, [CLINIC.tagline + "."]),
      el("p", {}, ["We offer outpatient addiction treatment for adults: an intensive outpatient program, " +
        "weekly outpatient counseling and dual diagnosis care, close to downtown Bellingham and the bus lines."]),
      el("p", {}, ["New clients can usually start within a week. ", link("/contact/", "Contact us"),
        " or read about our ", link("/services/", "services"), "."])
    ];
  }

  function services() {
    var items = SERVICES.map(function (s) {
      return el("section", { "class": "service" }, [el("h2", {}, [s.title]), el("p", {}, [s.text])]);
    });
    return [el("h1", {}, ["Our Services"])].concat(items);
  }

  function about() {
    return [
      el("h1", {}, ["About Kestrel Point Recovery"]),
      el("p", {}, ["Kestrel Point Recovery opened in 2016. Our counselors are licensed in Washington and " +
        "our program is accredited by CARF."]),
      el("p", {}, ["We believe recovery happens in the community, so all of our care is outpatient: " +
        "clients keep their jobs and sleep at home."])
    ];
  }

  function contact() {
    return [
      el("h1", {}, ["Contact Us"]),
      el("div", { "class": "contact-card" }, [
        el("h2", {}, ["Visit"]),
        el("p", {}, [CLINIC.street, el("br"), CLINIC.city + ", " + CLINIC.state + " " + CLINIC.zip]),
        el("h2", {}, ["Call"]),
        el("p", {}, ["Admissions and general questions: ", el("a", { href: "tel:" + CLINIC.tel }, [CLINIC.phone])]),
        el("h2", {}, ["Hours"]),
        el("p", {}, [CLINIC.hours])
      ])
    ];
  }

  function render() {
    var path = location.pathname.replace(/\/?$/, "/");
    var view = ROUTES[path] || home;
    var root = document.getElementById("root");
    root.innerHTML = "";
    root.appendChild(header());
    root.appendChild(el("main", { id: "main" }, view()));
    root.appendChild(footer());
    document.title = (TITLES[path] || TITLES["/"]);
  }

  function callHome() {
    // Analytics beacon to another site: a crawler's browser should not send it.
    try { navigator.sendBeacon("https://stats.example.invalid/collect", "page=" + location.pathname); } catch (e) {}
    // A request to cloud metadata (169.254.169.254): the crawler's guard must refuse it.
    try { fetch("http://169.254.169.254/latest/meta-data/").catch(function () {}); } catch (e) {}
  }

  window.addEventListener("popstate", render);
  render();
  callHome();
})();
