// backbrain's search ranking, in the browser: a port of backbrain/search/engine.py.
//
// The index (search-index.json, built by backbrain/search/browser.py) holds each note's FTS5 terms
// per field, its names and name terms, and the ranking settings (field weights, type prior, bonuses,
// stop words) taken from the Python code. This file only re-implements the arithmetic: FTS5's BM25,
// the always-positive IDF for common words, typo fixes against the notes' names, the name bonuses,
// the type prior, and SQLite's Porter stemmer for the query's words. tests/site/test_search_parity.py
// runs the whole evaluation set through this file in Chromium and compares the top 3 with the CLI's.
// Known difference: a "quoted phrase" matches notes holding all its words (the index keeps counts,
// not positions), where the CLI requires them adjacent.
(function (global) {
  "use strict";

  // -- SQLite's Porter stemmer (ext/fts5/fts5_tokenize.c) ------------------------------------------
  function isVowel(c, yIsVowel) {
    return c === "a" || c === "e" || c === "i" || c === "o" || c === "u" || (yIsVowel && c === "y");
  }
  // Past one vowel-then-consonant run: the offset just after it, or 0 when there is none.
  function gobbleVC(z, start, end, prevCons) {
    var cons = prevCons, i = start;
    for (; i < end; i++) { cons = !isVowel(z[i], cons); if (!cons) break; }
    for (i++; i < end; i++) { cons = !isVowel(z[i], cons); if (cons) return i + 1; }
    return 0;
  }
  function mGt0(z, n) { return gobbleVC(z, 0, n, false) !== 0; }
  function mGt1(z, n) { var k = gobbleVC(z, 0, n, false); return k !== 0 && gobbleVC(z, k, n, true) !== 0; }
  function mEq1(z, n) { var k = gobbleVC(z, 0, n, false); return k !== 0 && gobbleVC(z, k, n, true) === 0; }
  function ostar(z, n) {
    if (n === 0) return false;
    var last = z[n - 1];
    if (last === "w" || last === "x" || last === "y") return false;
    var mask = 0, cons = false;
    for (var i = 0; i < n; i++) { cons = !isVowel(z[i], cons); mask = (mask << 1) + (cons ? 1 : 0); }
    return (mask & 7) === 5;
  }
  function hasVowel(z, n) { for (var i = 0; i < n; i++) if (isVowel(z[i], i > 0)) return true; return false; }
  function mGt1SorT(z, n) { return n > 0 && (z[n - 1] === "s" || z[n - 1] === "t") && mGt1(z, n); }

  var STEP1B = [["eed", mGt0, "ee", false], ["ed", hasVowel, "", true], ["ing", hasVowel, "", true]];
  var STEP1B2 = [["at", null, "ate", true], ["bl", null, "ble", true], ["iz", null, "ize", true]];
  var STEP2 = [["ational", mGt0, "ate"], ["tional", mGt0, "tion"], ["enci", mGt0, "ence"], ["anci", mGt0, "ance"],
    ["izer", mGt0, "ize"], ["logi", mGt0, "log"], ["bli", mGt0, "ble"], ["alli", mGt0, "al"], ["entli", mGt0, "ent"],
    ["eli", mGt0, "e"], ["ousli", mGt0, "ous"], ["ization", mGt0, "ize"], ["ation", mGt0, "ate"], ["ator", mGt0, "ate"],
    ["alism", mGt0, "al"], ["iveness", mGt0, "ive"], ["fulness", mGt0, "ful"], ["ousness", mGt0, "ous"],
    ["aliti", mGt0, "al"], ["iviti", mGt0, "ive"], ["biliti", mGt0, "ble"]];
  var STEP3 = [["icate", mGt0, "ic"], ["ative", mGt0, ""], ["alize", mGt0, "al"], ["iciti", mGt0, "ic"],
    ["ical", mGt0, "ic"], ["ful", mGt0, ""], ["ness", mGt0, ""]];
  var STEP4 = [["al", mGt1, ""], ["ance", mGt1, ""], ["ence", mGt1, ""], ["er", mGt1, ""], ["ic", mGt1, ""],
    ["able", mGt1, ""], ["ible", mGt1, ""], ["ant", mGt1, ""], ["ement", mGt1, ""], ["ment", mGt1, ""],
    ["ent", mGt1, ""], ["ion", mGt1SorT, ""], ["ou", mGt1, ""], ["ism", mGt1, ""], ["ate", mGt1, ""], ["iti", mGt1, ""],
    ["ous", mGt1, ""], ["ive", mGt1, ""], ["ize", mGt1, ""]];

  // The first rule whose suffix matches decides, even when its condition fails (as in SQLite).
  function applyRules(z, rules) {
    var n = z.length;
    for (var r = 0; r < rules.length; r++) {
      var suffix = rules[r][0], k = suffix.length;
      if (n <= k || z.slice(n - k).join("") !== suffix) continue;
      if (rules[r][1] && !rules[r][1](z, n - k)) return false;
      z.length = n - k;
      Array.prototype.push.apply(z, rules[r][2].split(""));
      return !!rules[r][3];
    }
    return false;
  }

  function utf8Length(word) { var n = 0; for (var i = 0; i < word.length; i++) { var c = word.charCodeAt(i); n += c < 0x80 ? 1 : c < 0x800 ? 2 : (c >= 0xd800 && c < 0xdc00) ? (i++, 4) : 3; } return n; }

  function porter(word) {
    var bytes = utf8Length(word);
    if (bytes > 64 || bytes < 3) return word;
    var z = word.split(""), n;
    n = z.length;  // step 1a
    if (z[n - 1] === "s") {
      if (z[n - 2] === "e") {
        if ((n > 4 && z[n - 4] === "s" && z[n - 3] === "s") || (n > 3 && z[n - 3] === "i")) z.length = n - 2;
        else z.length = n - 1;
      } else if (z[n - 2] !== "s") z.length = n - 1;
    }
    if (applyRules(z, STEP1B) && !applyRules(z, STEP1B2)) {
      n = z.length;
      var c = z[n - 1];
      if (!isVowel(c, false) && c !== "l" && c !== "s" && c !== "z" && c === z[n - 2]) z.length = n - 1;
      else if (mEq1(z, n) && ostar(z, n)) z.push("e");
    }
    n = z.length;  // step 1c
    if (z[n - 1] === "y" && hasVowel(z, n - 1)) z[n - 1] = "i";
    applyRules(z, STEP2);
    applyRules(z, STEP3);
    applyRules(z, STEP4);
    n = z.length;  // step 5a
    if (z[n - 1] === "e" && (mGt1(z, n - 1) || (mEq1(z, n - 1) && !ostar(z, n - 1)))) z.length = n - 1;
    n = z.length;  // step 5b
    if (n > 1 && z[n - 1] === "l" && z[n - 2] === "l" && mGt1(z, n - 1)) z.length = n - 1;
    return z.join("");
  }

  // unicode61 with remove_diacritics: lower case, accents folded; then Porter.
  var stemCache = Object.create(null);
  // Unicode simple case folding where it differs from toLowerCase (micro sign, final sigma, long s).
  var FOLD = { "\u00b5": "\u03bc", "\u03c2": "\u03c3", "\u017f": "s" };
  function fold(word) {
    return word.toLowerCase().replace(/[\u00b5\u03c2\u017f]/g, function (c) { return FOLD[c]; })
      .normalize("NFD").replace(/\p{M}/gu, "");
  }
  function stem(word) {
    var cached = stemCache[word];
    if (cached !== undefined) return cached;
    var tokens = fold(word).match(/[\p{L}\p{N}\p{Co}]+/gu);
    return (stemCache[word] = tokens ? porter(tokens[0]) : "");
  }

  // -- rapidfuzz's fuzz.ratio: 100 * (1 - InDel distance / total length) ---------------------------
  // Length of the longest common subsequence: bit-parallel (Hyyrö) when `a` fits in 30 bits.
  function lcsLength(a, b) {
    if (a.length > 30) return lcsTable(a, b);
    var masks = new Map(), all = (1 << a.length) - 1, v = all;
    for (var i = 0; i < a.length; i++) masks.set(a[i], (masks.get(a[i]) || 0) | (1 << i));
    for (var j = 0; j < b.length; j++) {
      var u = v & (masks.get(b[j]) || 0);
      v = ((v + u) | (v - u)) & all;
    }
    var zeros = 0;
    for (var k = 0; k < a.length; k++) if (!(v & (1 << k))) zeros++;
    return zeros;
  }
  function lcsTable(a, b) {
    var prev = new Array(b.length + 1).fill(0), cur = new Array(b.length + 1).fill(0);
    for (var i = 1; i <= a.length; i++) {
      for (var j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
      var swap = prev; prev = cur; cur = swap;
    }
    return prev[b.length];
  }
  function similarity(a, b) {  // normalized InDel similarity, 0..1, on code points
    var x = Array.from(a), y = Array.from(b), total = x.length + y.length;
    if (!total) return 1;
    return 1 - (total - 2 * lcsLength(x, y)) / total;
  }

  // -- the query parser (backbrain/search/query.py) -------------------------------------------------
  var WORD = /[\p{L}\p{N}]+/gu;
  function wordsOf(text) { return (String(text).match(WORD) || []).map(function (w) { return w.toLowerCase(); }); }

  function parseQuery(text, settings, stopWords) {
    var parsed = { words: [], phrases: [], prefixes: [], stopWords: [], tokens: [] }, seen = Object.create(null);
    var piece = /"([^"]*)"|([\p{L}\p{N}]+)(\*?)/gu, match;
    var source = Array.from(text).slice(0, settings.maxQueryChars).join("");
    while ((match = piece.exec(source)) !== null) {
      if (match[1] !== undefined) {
        var words = wordsOf(match[1]);
        Array.prototype.push.apply(parsed.tokens, words);
        if (words.length > 1) parsed.phrases.push(words);
        else if (words.length && !seen[words[0]]) { seen[words[0]] = true; parsed.words.push(words[0]); }
        continue;
      }
      var word = match[2].toLowerCase();
      parsed.tokens.push(word);
      if (match[3] && word.length >= 2) parsed.prefixes.push(word);
      else if (settings.dropStopWords && stopWords[word]) parsed.stopWords.push(word);
      else if (!seen[word]) { seen[word] = true; parsed.words.push(word); }
    }
    parsed.words = parsed.words.slice(0, settings.maxTerms);
    parsed.phrases = parsed.phrases.slice(0, 8);
    parsed.prefixes = parsed.prefixes.slice(0, 8);
    return parsed;
  }

  function unique(list) { var seen = Object.create(null), out = []; list.forEach(function (x) { if (!seen[x]) { seen[x] = true; out.push(x); } }); return out; }
  function byLength(a, b) { return a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || a[2] - b[2] || a[3] - b[3]; }

  // -- the index -------------------------------------------------------------------------------------
  function Engine(data) {
    var s = this.settings = data.settings;
    this.stopWords = Object.create(null);
    var self = this;
    s.stopWords.forEach(function (w) { self.stopWords[w] = true; });
    var names = [];
    this.notes = data.notes.map(function (n) {
      return { slug: n[0], id: n[1], title: n[2], type: n[3], length: n[5], snippets: [n[9][0], n[4], n[9][1]] };
    });
    this.postings = new Map();  // stem -> {docs, all (weighted count), names (title+aliases), cols (bit mask)}
    this.nameTerms = new Map();  // stem of a name word -> set of notes
    this.grams = new Map();      // stems of a whole name -> notes
    this.nameWords = new Map();  // typo-correction word -> true
    var total = 0, weights = s.weights;
    data.notes.forEach(function (n, doc) {
      total += n[5];
      var perStem = new Map();
      n[6].forEach(function (field, col) {
        if (!field) return;
        field.split(" ").forEach(function (item) {
          var colon = item.lastIndexOf(":"), term = colon > 0 ? item.slice(0, colon) : item;
          var count = colon > 0 ? parseInt(item.slice(colon + 1), 10) : 1;
          var entry = perStem.get(term);
          if (!entry) { entry = [0, 0, 0]; perStem.set(term, entry); }
          entry[0] += weights[col] * count;
          if (col < 2) entry[1] += weights[col] * count;
          entry[2] |= 1 << col;
        });
      });
      perStem.forEach(function (entry, term) {
        var p = self.postings.get(term);
        if (!p) { p = { docs: [], all: [], names: [], cols: [] }; self.postings.set(term, p); }
        p.docs.push(doc); p.all.push(entry[0]); p.names.push(entry[1]); p.cols.push(entry[2]);
      });
      n[7].forEach(function (name, pos) {
        names.push([Array.from(name[0]).length, name[0], doc, pos]);
        if (name[1] !== null) { var g = self.grams.get(name[1]) || new Set(); g.add(doc); self.grams.set(name[1], g); }
      });
      n[8].forEach(function (term) {
        var t = self.nameTerms.get(term[0]) || new Set(); t.add(doc); self.nameTerms.set(term[0], t);
        if (term[1] !== null) self.nameWords.set(term[1], true);
      });
    });
    names.sort(byLength);
    this.names = names;
    this.vocabulary = Array.from(this.nameWords.keys()).sort();
    this.total = this.notes.length;
    // note -> [[partner, weight]]: the notes it lends to (engine._graph_bonuses). In a pair [fix, problem]
    // the problem lends to its fix at graphWeight, the fix back to the problem at graphBackWeight.
    this.partners = new Map();
    var graph = data.graph || {};
    this.superseded = new Set(graph.superseded || []);  // notes a `supersedes` relation replaces
    (graph.mitigates || []).forEach(function (pair) {
      [[pair[1], pair[0], s.graphWeight], [pair[0], pair[1], s.graphBackWeight]].forEach(function (e) {
        var list = self.partners.get(e[0]) || [];
        if (e[0] !== e[1] && !list.some(function (p) { return p[0] === e[1] && p[1] === e[2]; })) list.push([e[1], e[2]]);
        self.partners.set(e[0], list);
      });
    });
    this.avgdl = this.total ? total / this.total : 1;
    this.terms = null;  // sorted stems, built on the first prefix query
  }

  Engine.prototype.df = function (stem) { var p = this.postings.get(stem); return p ? p.docs.length : 0; };

  Engine.prototype.correct = function (word) {
    if (Array.from(word).length < 4 || /^\d+$/.test(word)) return null;
    var best = null, bestScore = 0.75;
    for (var i = 0; i < this.vocabulary.length; i++) {
      var score = similarity(word, this.vocabulary[i]);
      if (score >= 0.75 && (best === null ? score >= bestScore : score > bestScore)) { best = this.vocabulary[i]; bestScore = score; }
    }
    return best;
  };

  // Typos fixed, each word weighed by rarity, and the words worth a BM25 lookup picked (engine._plan).
  Engine.prototype.plan = function (parsed, corrections) {
    var s = this.settings, self = this;
    var words = parsed.words.slice(), tokens = parsed.tokens.slice();
    if (s.fixTypos) {
      var joined = [];
      for (var i = 0; i + 1 < tokens.length; i++) if (self.nameWords.has(tokens[i] + tokens[i + 1])) joined.push(tokens[i] + tokens[i + 1]);
      words = words.concat(joined.filter(function (w) { return words.indexOf(w) < 0; }));
      tokens = tokens.concat(joined);
    }
    var kept = [];
    words.forEach(function (word) {
      var st = stem(word);
      if ((st ? self.df(st) : 0) === 0 && s.fixTypos) {
        var fixed = self.correct(word);
        if (fixed) {
          corrections[word] = fixed;
          tokens = tokens.map(function (t) { return t === word ? fixed : t; });
          Array.prototype.push.apply(kept, wordsOf(fixed));
        }
        return;
      }
      kept.push(word);
    });
    kept = unique(kept);
    var total = Math.max(this.total, 1), idf = new Map(), common = new Map(), rare = [], namesOnly = false;
    var keptStems = kept.map(stem);
    keptStems.forEach(function (st) {
      if (st && !idf.has(st)) { var df = self.df(st); idf.set(st, Math.log(1 + (total - df + 0.5) / (df + 0.5))); }
    });
    function isCommon(st) { return self.df(st) > s.commonDf * total; }
    kept.forEach(function (w, i) { if (keptStems[i] && !isCommon(keptStems[i])) rare.push(w); });
    var ftsWords;
    if (total < s.commonPruneMinNotes && s.scoreCommon) {
      keptStems.forEach(function (st) { if (st && isCommon(st)) common.set(st, idf.get(st)); });
      ftsWords = rare;
    } else if (rare.length || total < s.commonPruneMinNotes) ftsWords = rare.length ? rare : kept;
    else { ftsWords = kept; namesOnly = true; }
    if (!namesOnly) ftsWords = this.weighLightWords(kept, keptStems, idf, common, ftsWords);
    var rare = new Set(keptStems.filter(function (st) { return st && !isCommon(st); }));
    return { words: ftsWords.filter(function (w) { return stem(w); }), common: common, idf: idf, tokens: tokens, namesOnly: namesOnly,
             rare: rare, synonymsOf: new Map() };
  };

  // Light verbs ("went", "took") at `lightWeight` of their IDF; scored like common words when the
  // query has other words to match (engine._weigh_light_words). Returns the words BM25 matches.
  Engine.prototype.weighLightWords = function (kept, keptStems, idf, common, ftsWords) {
    var s = this.settings, light = new Set();
    if (!this.lightWords) { var lw = this.lightWords = Object.create(null); (s.lightWords || []).forEach(function (w) { lw[w] = true; }); }
    var lightWords = this.lightWords;
    kept.forEach(function (w, i) { if (keptStems[i] && lightWords[w]) light.add(keptStems[i]); });
    if (s.lightWeight === 1 || !light.size) return ftsWords;
    light.forEach(function (st) { idf.set(st, idf.get(st) * s.lightWeight); });
    var others = ftsWords.filter(function (w) { var st = stem(w); return st && !light.has(st); });
    light.forEach(function (st) { if (others.length || common.has(st)) common.set(st, idf.get(st)); });  // scored like common words from now on
    return others.length ? others : ftsWords;
  };

  // One "phrase" of the FTS5 query: the notes that hold it and the weighted count in each.
  Engine.prototype.phraseHits = function (kind, value, namesOnly) {
    var hits = new Map(), self = this, field = namesOnly ? "names" : "all";
    function add(p, factor) {
      for (var i = 0; i < p.docs.length; i++) {
        var w = p[field][i];
        if (w > 0) hits.set(p.docs[i], (hits.get(p.docs[i]) || 0) + w * factor);
      }
    }
    if (kind === "word") { var p = this.postings.get(stem(value)); if (p) add(p, 1); }
    else if (kind === "prefix") {
      if (!this.terms) this.terms = Array.from(this.postings.keys()).sort();
      var start = stem(value), lo = 0, hi = this.terms.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (this.terms[mid] < start) lo = mid + 1; else hi = mid; }
      for (var i = lo; i < this.terms.length && this.terms[i].lastIndexOf(start, 0) === 0; i++) add(this.postings.get(this.terms[i]), 1);
    } else {  // a phrase: every word present; its count is the scarcest word's
      var lists = value.map(function (w) { return self.postings.get(stem(w)); });
      if (lists.some(function (l) { return !l; })) return hits;
      var maps = lists.map(function (l) { var m = new Map(); l.docs.forEach(function (d, i) { if (l[field][i] > 0) m.set(d, l[field][i]); }); return m; });
      maps[0].forEach(function (w, d) {
        var least = w;
        for (var k = 1; k < maps.length; k++) { if (!maps[k].has(d)) return; least = Math.min(least, maps[k].get(d)); }
        hits.set(d, least);
      });
    }
    return hits;
  };

  // FTS5's bm25() over the OR of the query's phrases: the best `candidates` notes, score > 0.
  Engine.prototype.bm25 = function (phrases, namesOnly) {
    var s = this.settings, n = this.total, avgdl = this.avgdl, self = this, scores = new Map();
    phrases.forEach(function (phrase) {
      var hits = self.phraseHits(phrase[0], phrase[1], namesOnly);
      var idf = Math.log((n - hits.size + 0.5) / (hits.size + 0.5));
      if (idf <= 0) idf = 1e-6;
      phrase.hits = hits; phrase.idf = idf;
    });
    var docs = new Set();
    phrases.forEach(function (phrase) { phrase.hits.forEach(function (_, d) { docs.add(d); }); });
    docs.forEach(function (d) {
      var score = 0, length = self.notes[d].length;
      phrases.forEach(function (phrase) {
        var w = phrase.hits.get(d);
        if (w) score += phrase.idf * (w * (s.k1 + 1)) / (w + s.k1 * (1 - s.b + s.b * length / avgdl));
      });
      scores.set(d, score);
    });
    var ranked = Array.from(scores.entries()).sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
    return new Map(ranked.slice(0, s.candidates));
  };

  // BM25 without length normalization for the words in over half the notes (engine._common_term_scores).
  Engine.prototype.commonScores = function (common) {
    var s = this.settings, scores = new Map(), self = this;
    Array.from(common.keys()).sort().forEach(function (term) {
      var p = self.postings.get(term), weight = common.get(term);
      if (!p) return;
      p.docs.forEach(function (d, i) {
        var tf = p.all[i];
        scores.set(d, (scores.get(d) || 0) + weight * tf * (s.k1 + 1) / (tf + s.k1));
      });
    });
    return new Map(Array.from(scores.entries()).sort(function (a, b) { return a[0] - b[0]; }));
  };

  // The thesaurus's groups this query brings in, each a list of members (arrays of stems a note must
  // all hold), the members whose rarest stem is in at most `commonDf` of the notes; fills
  // plan.synonymsOf (query stem -> members). engine._expansion, thesaurus.Thesaurus.matches.
  Engine.prototype.expansion = function (plan) {
    var s = this.settings, self = this, queryStems = new Set(plan.tokens.map(stem).filter(Boolean));
    plan.idf.forEach(function (_, st) { queryStems.add(st); });
    var seen = new Set(), groups = [], limit = s.commonDf * Math.max(this.total, 1);
    plan.expansionWeights = [];
    if (!s.synonymWeight) return groups;
    s.thesaurus.forEach(function (group, number) {
      var matched = group.map(function (m) { return m[1].every(function (st) { return st && queryStems.has(st); }); });
      if (number < s.thesaurusOneWay) matched = matched.map(function (hit, i) { return i === 0 && hit; });  // abbreviations
      if (!matched.some(Boolean)) return;
      var triggers = [];
      group.forEach(function (m, i) { if (matched[i]) m[1].forEach(function (st) { if (triggers.indexOf(st) < 0) triggers.push(st); }); });
      var members = [];
      group.forEach(function (m, i) {
        var stems = [];
        m[0].forEach(function (word, k) { var st = m[1][k]; if (st && !self.stopWords[word] && stems.indexOf(st) < 0) stems.push(st); });
        var key = stems.join(" ");
        if (matched[i] || !stems.length || stems.every(function (st) { return queryStems.has(st); }) || seen.has(key)) return;
        if (m[0].length > 1 && stems.length < 2) return;  // "roll out" is not "roll"
        seen.add(key);
        members.push(stems);
      });
      var kept = members.filter(function (m) {
        var least = Math.min.apply(null, m.map(function (st) { return self.df(st); }));
        return least > 0 && least <= limit;
      });
      triggers.forEach(function (st) { plan.synonymsOf.set(st, (plan.synonymsOf.get(st) || []).concat(kept)); });
      if (kept.length) { groups.push(kept); plan.expansionWeights.push(number < s.thesaurusExact ? 1 : s.synonymWeight); }
    });
    return groups;
  };

  // note -> weighted count of a member in each note holding all its stems, the scarcest stem's
  // (engine._member_counts); with `mask`, a note counts 1 when every stem is in one of those columns.
  Engine.prototype.memberCounts = function (member, mask) {
    var self = this, maps = [];
    for (var k = 0; k < member.length; k++) {
      var p = self.postings.get(member[k]), m = new Map();
      if (!p) return new Map();
      p.docs.forEach(function (d, i) { var w = mask ? ((p.cols[i] & mask) ? 1 : 0) : p.all[i]; if (w > 0) m.set(d, w); });
      maps.push(m);
    }
    var counts = new Map();
    Array.from(maps[0].keys()).sort(function (a, b) { return a - b; }).forEach(function (d) {
      var least = maps[0].get(d);
      for (var k = 1; k < maps.length; k++) { if (!maps[k].has(d)) return; least = Math.min(least, maps[k].get(d)); }
      counts.set(d, least);
    });
    return counts;
  };

  // Each group scored as one term: its members' weighted counts summed, saturated, times the IDF of
  // the notes holding any member, times the group's weight: `synonymWeight`, or 1 for abbreviations and variants (engine._synonym_scores).
  Engine.prototype.synonymScores = function (groups, weights) {
    var s = this.settings, self = this, scores = new Map(), total = Math.max(this.total, 1);
    groups.forEach(function (group, g) {
      var tfOf = new Map();
      group.forEach(function (member) {
        self.memberCounts(member, 0).forEach(function (tf, d) { tfOf.set(d, (tfOf.get(d) || 0) + tf); });
      });
      var idf = Math.log(1 + (total - tfOf.size + 0.5) / (tfOf.size + 0.5));
      Array.from(tfOf.keys()).sort(function (a, b) { return a - b; }).forEach(function (d) {
        var tf = tfOf.get(d);
        scores.set(d, (scores.get(d) || 0) + weights[g] * idf * tf * (s.k1 + 1) / (tf + s.k1));
      });
    });
    return scores;
  };

  // The IDF-weighted share of the query's words a candidate holds in its key fields, a word counting
  // `coverageSynonym` when only a synonym is there, times `coverageBonus` (engine._coverage_bonuses).
  Engine.prototype.coverage = function (plan, candidates) {
    var s = this.settings, self = this, bonuses = new Map(), concepts = new Map(), weightSum = 0;
    if (!s.coverageBonus || plan.namesOnly) return bonuses;
    plan.idf.forEach(function (w, st) {
      if (self.total < s.commonPruneMinNotes || (!plan.common.has(st) && plan.rare.has(st))) { concepts.set(st, w); weightSum += w; }
    });
    if (!concepts.size || !candidates.size) return bonuses;
    var mask = 0;
    s.coverageColumns.forEach(function (c) { mask |= 1 << c; });
    function holders(member) {
      var found = new Set();
      self.memberCounts(member, mask).forEach(function (_, d) { if (candidates.has(d)) found.add(d); });
      return found;
    }
    var covered = new Map();
    concepts.forEach(function (weight, st) {
      var direct = holders([st]), bySynonym = new Set();
      (plan.synonymsOf.get(st) || []).forEach(function (m) { holders(m).forEach(function (d) { if (!direct.has(d)) bySynonym.add(d); }); });
      direct.forEach(function (d) { covered.set(d, (covered.get(d) || 0) + weight); });
      bySynonym.forEach(function (d) { covered.set(d, (covered.get(d) || 0) + s.coverageSynonym * weight); });
    });
    Array.from(covered.keys()).sort(function (a, b) { return a - b; }).forEach(function (d) {
      bonuses.set(d, s.coverageBonus * covered.get(d) / weightSum);
    });
    return bonuses;
  };

  // Each of the `pairTop` best notes gains `pairBonus` times the share of the query's adjacent word
  // pairs (neither a stop word) that its title or summary (as the index holds it) has adjacent,
  // stemmed (engine._pair_bonuses).
  Engine.prototype.pairBonuses = function (plan, scored) {
    var s = this.settings, self = this, bonuses = new Map(), pairs = new Set();
    if (!s.pairBonus || !scored.size) return bonuses;
    var tokens = plan.tokens.filter(Boolean);
    for (var i = 0; i + 1 < tokens.length; i++) {
      var a = stem(tokens[i]), b = stem(tokens[i + 1]);
      if (a && b && !this.stopWords[tokens[i]] && !this.stopWords[tokens[i + 1]]) pairs.add(a + " " + b);
    }
    if (!pairs.size) return bonuses;
    var top = Array.from(scored.entries()).sort(function (x, y) { return y[1] - x[1]; }).slice(0, s.pairTop);
    top.forEach(function (entry) {
      var note = self.notes[entry[0]], found = new Set(), held = 0;
      [note.title, note.snippets[1] || ""].forEach(function (text) {
        var stems = (String(text).match(/[\p{L}\p{N}]+/gu) || []).map(stem);
        for (var k = 0; k + 1 < stems.length; k++) found.add(stems[k] + " " + stems[k + 1]);
      });
      pairs.forEach(function (pair) { if (found.has(pair)) held++; });
      if (held) bonuses.set(entry[0], s.pairBonus * held / pairs.size);
    });
    return bonuses;
  };

  // A relation partner of one of the `graphTop` best notes gains that note's score times the edge's
  // weight (graphWeight from a problem to its fix, graphBackWeight back), if it matches the query
  // itself (engine._graph_bonuses).
  Engine.prototype.graphBonuses = function (scored) {
    var s = this.settings, self = this, bonuses = new Map();
    if (!(s.graphWeight || s.graphBackWeight) || !scored.size) return bonuses;
    var top = Array.from(scored.entries()).sort(function (a, b) { return b[1] - a[1]; }).slice(0, s.graphTop);
    var lent = new Map();
    top.forEach(function (hit) {
      (self.partners.get(hit[0]) || []).forEach(function (p) { lent.set(p[0], Math.max(lent.get(p[0]) || 0, p[1] * hit[1])); });
    });
    lent.forEach(function (value, d) { if (scored.has(d)) bonuses.set(d, value); });
    return bonuses;
  };

  Engine.prototype.nameBonuses = function (plan) {
    var s = this.settings, bonuses = new Map(), self = this, total = 0;
    plan.idf.forEach(function (w) { total += w; });
    function add(doc, value) { bonuses.set(doc, (bonuses.get(doc) || 0) + value); }
    if (total && s.nameBonus) {
      var covered = new Map();
      plan.idf.forEach(function (weight, st) {
        var docs = self.nameTerms.get(st);
        if (docs) Array.from(docs).sort(function (a, b) { return a - b; }).forEach(function (d) { covered.set(d, (covered.get(d) || 0) + weight); });
      });
      if (s.synonymNames && plan.expansion && plan.expansion.length) {  // "virtual nodes" answers "add a server"
        var top = 0;
        plan.idf.forEach(function (w) { if (w > top) top = w; });
        plan.expansion.forEach(function (group, g) {
          var weight = plan.expansionWeights[g] * top;
          var holders = new Set();
          group.forEach(function (member) {
            var sets = member.map(function (st) { return self.nameTerms.get(st) || new Set(); });
            sets[0].forEach(function (d) { if (sets.every(function (set) { return set.has(d); })) holders.add(d); });
          });
          Array.from(holders).sort(function (a, b) { return a - b; }).forEach(function (d) { covered.set(d, (covered.get(d) || 0) + weight); });
        });
      }
      covered.forEach(function (weight, d) { bonuses.set(d, s.nameBonus * weight / total); });
    }
    var tokens = plan.tokens.map(stem).filter(Boolean);
    for (var size = Math.min(tokens.length, s.maxGram); size > 1; size--) {
      for (var start = 0; start + size <= tokens.length; start++) {
        var docs = this.grams.get(tokens.slice(start, start + size).join(" "));
        if (docs) Array.from(docs).sort(function (a, b) { return a - b; }).forEach(function (d) { add(d, s.phraseBonus); });
      }
    }
    if (s.fuzzyBonus && plan.tokens.length > 0 && plan.tokens.length <= 6) {
      var text = plan.tokens.join(" "), length = Array.from(text).length;
      var low = Math.floor(2 * length / 3) - 1, high = Math.floor((3 * length + 1) / 2) + 1, found = [];
      this.names.forEach(function (name, i) {
        if (name[0] < low || name[0] > high) return;
        var score = similarity(text, name[1]);
        if (score >= 0.8) found.push([score * 100, i, name[2]]);
      });
      found.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
      found.slice(0, 5).forEach(function (f) { add(f[2], s.fuzzyBonus * (f[0] - 80) / 20); });
    }
    return bonuses;
  };

  // The notes best matching free text, best first: {hits, message, corrections, stems}.
  Engine.prototype.search = function (text, limit) {
    var s = this.settings;
    limit = Math.max(1, Math.min(limit || 10, 200));
    var result = { query: text, hits: [], message: null, corrections: {}, stems: [] };
    if (!String(text).trim()) { result.message = "Type what you see, e.g. too many connections"; return result; }
    var parsed = parseQuery(String(text), s, this.stopWords);
    if (!parsed.words.length && !parsed.phrases.length && !parsed.prefixes.length) {
      result.message = parsed.stopWords.length
        ? "Only common words in the query (" + unique(parsed.stopWords).join(", ") + "); add a specific term."
        : "Nothing searchable in the query (no letters or digits).";
      return result;
    }
    var plan = this.plan(parsed, result.corrections);
    var phrases = [], seenParts = Object.create(null);
    function part(kind, value, key) { if (!seenParts[key]) { seenParts[key] = true; phrases.push([kind, value]); } }
    plan.words.forEach(function (w) { part("word", w, "w " + w); });
    parsed.phrases.forEach(function (p) { part("phrase", p, "p " + p.join(" ")); });
    parsed.prefixes.forEach(function (p) { part("prefix", p, "x " + p); });
    var candidates = phrases.length ? this.bm25(phrases, plan.namesOnly) : new Map();
    this.commonScores(plan.common).forEach(function (extra, d) { candidates.set(d, (candidates.get(d) || 0) + extra); });
    var expansion = plan.expansion = plan.namesOnly ? [] : this.expansion(plan);
    this.synonymScores(expansion, plan.expansionWeights || []).forEach(function (extra, d) { candidates.set(d, (candidates.get(d) || 0) + extra); });
    var top = 0, self = this;
    candidates.forEach(function (v) { if (v > top) top = v; });
    top = top || 1;
    var scored = new Map();
    candidates.forEach(function (v, d) { scored.set(d, v / top * (s.typePrior[self.notes[d].type] || 1)); });
    this.nameBonuses(plan).forEach(function (bonus, d) { scored.set(d, (scored.get(d) || 0) + bonus); });
    this.coverage(plan, candidates).forEach(function (bonus, d) { scored.set(d, (scored.get(d) || 0) + bonus); });
    this.pairBonuses(plan, scored).forEach(function (bonus, d) { scored.set(d, scored.get(d) + bonus); });
    if (s.supersededPrior !== 1) scored.forEach(function (v, d) { if (self.superseded.has(d)) scored.set(d, v * s.supersededPrior); });
    this.graphBonuses(scored).forEach(function (bonus, d) { scored.set(d, (scored.get(d) || 0) + bonus); });
    var ranked = Array.from(scored.entries()).sort(function (a, b) { return b[1] - a[1]; }).slice(0, limit);
    var stems = unique(plan.words.concat(parsed.prefixes).concat([].concat.apply([], parsed.phrases)).map(stem).filter(Boolean));
    plan.common.forEach(function (_, st) { if (stems.indexOf(st) < 0) stems.push(st); });
    var own = new Set(stems);  // the query's own words: a snippet window prefers them to synonyms
    expansion.forEach(function (group) { group.forEach(function (m) { m.forEach(function (st) { if (stems.indexOf(st) < 0) stems.push(st); }); }); });
    result.stems = stems;
    result.prefixes = parsed.prefixes.map(stem);
    result.hits = ranked.map(function (r) {
      var note = self.notes[r[0]];
      return { id: note.id, title: note.title, type: note.type, slug: note.slug, score: Math.round(r[1] * 1e4) / 1e4,
               snippet: self.snippet(r[0], stems, result.prefixes, own) };
    });
    if (Object.keys(result.corrections).length) {
      result.message = "Showing results for: " + Object.keys(result.corrections).map(function (k) { return k + " → " + result.corrections[k]; }).join(", ");
    }
    if (!result.hits.length && result.message === null) result.message = "No notes match. Try fewer or different words, or a prefix like stamp*.";
    return result;
  };

  // A window of the first snippet field (symptoms, summary, body) holding a query word, as
  // [{text, mark}] pieces; the caller builds text nodes and <mark> elements from them.
  Engine.prototype.snippet = function (doc, stems, prefixes, own) {
    var texts = this.notes[doc].snippets, want = Object.create(null), words = /[\p{L}\p{N}]+/gu;
    stems.forEach(function (st) { want[st] = true; });
    function matches(word) {
      var st = stem(word);
      return want[st] || prefixes.some(function (p) { return st.lastIndexOf(p, 0) === 0; });
    }
    function worth(word) { return own && !own.has(stem(word)) ? 1 : 1000; }  // query words first, then synonyms
    for (var f = 0; f < texts.length; f++) {
      var text = texts[f], spans = [], m;
      words.lastIndex = 0;
      while ((m = words.exec(text)) !== null) spans.push([m.index, m.index + m[0].length, matches(m[0]), matches(m[0]) ? worth(m[0]) : 0]);
      var hitsAt = spans.map(function (sp, i) { return sp[2] ? i : -1; }).filter(function (i) { return i >= 0; });
      if (!hitsAt.length) continue;
      var best = 0, bestCount = -1;  // the 20-word window
      hitsAt.forEach(function (h) {
        var from = Math.max(0, h - 3), count = 0, seen = new Set();  // the most distinct words, query words first
        hitsAt.forEach(function (k) {
          var st = stem(text.slice(spans[k][0], spans[k][1]));
          if (k >= from && k < from + 20 && !seen.has(st)) { seen.add(st); count += spans[k][3]; }
        });
        if (count > bestCount) { best = from; bestCount = count; }
      });
      var first = spans[best], last = spans[Math.min(spans.length, best + 20) - 1], pieces = [], at = first[0];
      if (best > 0) pieces.push({ text: "…", mark: false });
      for (var i = best; i < Math.min(spans.length, best + 20); i++) {
        if (!spans[i][2]) continue;
        if (spans[i][0] > at) pieces.push({ text: text.slice(at, spans[i][0]), mark: false });
        pieces.push({ text: text.slice(spans[i][0], spans[i][1]), mark: true });
        at = spans[i][1];
      }
      if (last[1] > at) pieces.push({ text: text.slice(at, last[1]), mark: false });
      if (last[1] < text.length) pieces.push({ text: "…", mark: false });
      return pieces;
    }
    var plain = texts[1] || texts[0] || texts[2] || "";
    return [{ text: plain.length > 200 ? plain.slice(0, 200) + "…" : plain, mark: false }];
  };

  var loading = null;
  function load(url) {
    if (loading) return loading;
    loading = fetch(url).then(function (r) {
      if (!r.ok) throw new Error("search index: HTTP " + r.status);
      return r.json();
    }).then(function (data) { return new Engine(data); });
    loading.catch(function () { loading = null; });
    return loading;
  }

  global.BackbrainSearch = { Engine: Engine, load: load, stem: stem, porter: porter, parseQuery: parseQuery };
})(window);
