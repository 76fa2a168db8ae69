"""Define-XML 2.1 as a reviewer's tool reads it: the datasets (ItemGroupDef with its ItemRefs,
KeySequence, def:Class, def:leaf), variables (ItemDef: DataType, Length, def:DisplayFormat,
Description, CodeListRef, def:CommentOID, def:ValueListRef), CodeLists and value-level
metadata (def:ValueListDef, def:WhereClauseDef). Standard library only (ElementTree): this is
the independent reader the conformance check uses, it knows nothing of how we write the file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NS = {"odm": ODM, "def": DEF, "xlink": XLINK}


@dataclass(frozen=True)
class ItemDef:
    oid: str
    name: str
    data_type: str
    length: int | None
    display_format: str | None
    label: str | None
    codelist_oid: str | None
    comment_oid: str | None
    value_list_oid: str | None


@dataclass(frozen=True)
class ItemRef:
    item_oid: str
    key_sequence: int | None
    has_no_data: bool
    mandatory: bool = False


@dataclass(frozen=True)
class DatasetDef:
    oid: str
    name: str
    label: str | None
    adam_class: str | None
    subclasses: tuple[str, ...]
    file: str
    item_refs: tuple[ItemRef, ...]


@dataclass(frozen=True)
class CodeList:
    oid: str
    name: str
    data_type: str
    terms: tuple[str, ...]
    external: bool


@dataclass(frozen=True)
class RangeCheck:
    item_oid: str
    comparator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ValueItem:
    """One ItemRef of a ValueListDef: its ItemDef applies to the rows any of ``where`` selects;
    a where clause (WhereClauseDef) holds when all its RangeChecks do."""

    item_oid: str
    where: tuple[tuple[RangeCheck, ...], ...]


@dataclass(frozen=True)
class Define:
    datasets: tuple[DatasetDef, ...]
    items: dict[str, ItemDef]
    codelists: dict[str, CodeList]
    value_lists: dict[str, tuple[ValueItem, ...]]


def _q(prefix: str, tag: str) -> str:
    return f"{{{NS[prefix]}}}{tag}"


def _text(element: ET.Element | None) -> str | None:
    """The TranslatedText of a Description or Decode (English first), or None."""
    if element is None:
        return None
    texts = element.findall("odm:TranslatedText", NS)
    english = [t for t in texts if t.get(XML_LANG, "en").startswith("en")] or texts
    return (english[0].text or "") if english else None


def read_define(path: str | Path) -> Define:
    """The parts of a Define-XML 2.1 document the checks use."""
    mdv = ET.parse(path).getroot().find("odm:Study/odm:MetaDataVersion", NS)
    if mdv is None:
        raise ValueError(f"{path}: no ODM Study/MetaDataVersion")
    where_clauses = {
        wc.get("OID", ""): tuple(
            RangeCheck(
                item_oid=rc.get(_q("def", "ItemOID"), ""),
                comparator=rc.get("Comparator", ""),
                values=tuple((v.text or "").strip() for v in rc.findall("odm:CheckValue", NS)),
            )
            for rc in wc.findall("odm:RangeCheck", NS)
        )
        for wc in mdv.findall("def:WhereClauseDef", NS)
    }
    value_lists = {
        vl.get("OID", ""): tuple(
            ValueItem(
                item_oid=ref.get("ItemOID", ""),
                where=tuple(
                    where_clauses.get(w.get("WhereClauseOID", ""), ())
                    for w in ref.findall("def:WhereClauseRef", NS)
                ),
            )
            for ref in vl.findall("odm:ItemRef", NS)
        )
        for vl in mdv.findall("def:ValueListDef", NS)
    }
    datasets = []
    for group in mdv.findall("odm:ItemGroupDef", NS):
        name = group.get("Name", "")
        klass = group.find("def:Class", NS)
        leaf = group.find("def:leaf", NS)
        datasets.append(
            DatasetDef(
                oid=group.get("OID", ""),
                name=name,
                label=_text(group.find("odm:Description", NS)),
                adam_class=klass.get("Name") if klass is not None else None,
                subclasses=tuple(
                    s.get("Name", "") for s in group.findall("def:Class/def:SubClass", NS)
                ),
                file=(leaf.get(_q("xlink", "href")) if leaf is not None else None)
                or f"{name.lower()}.xpt",
                item_refs=tuple(
                    ItemRef(
                        item_oid=ref.get("ItemOID", ""),
                        key_sequence=int(ref.get("KeySequence"))
                        if ref.get("KeySequence")
                        else None,
                        has_no_data=ref.get(_q("def", "HasNoData")) == "Yes",
                        mandatory=ref.get("Mandatory") == "Yes",
                    )
                    for ref in group.findall("odm:ItemRef", NS)
                ),
            )
        )
    items = {}
    for item in mdv.findall("odm:ItemDef", NS):
        codelist = item.find("odm:CodeListRef", NS)
        value_list = item.find("def:ValueListRef", NS)
        length = item.get("Length")
        items[item.get("OID", "")] = ItemDef(
            oid=item.get("OID", ""),
            name=item.get("Name", ""),
            data_type=item.get("DataType", ""),
            length=int(length) if length else None,
            display_format=item.get(_q("def", "DisplayFormat")),
            label=_text(item.find("odm:Description", NS)),
            codelist_oid=codelist.get("CodeListOID") if codelist is not None else None,
            comment_oid=item.get(_q("def", "CommentOID")),
            value_list_oid=value_list.get("ValueListOID") if value_list is not None else None,
        )
    codelists = {
        cl.get("OID", ""): CodeList(
            oid=cl.get("OID", ""),
            name=cl.get("Name", ""),
            data_type=cl.get("DataType", "text"),
            terms=tuple(
                term.get("CodedValue", "")
                for term in cl
                if term.tag in (_q("odm", "CodeListItem"), _q("odm", "EnumeratedItem"))
            ),
            external=cl.find("odm:ExternalCodeList", NS) is not None,
        )
        for cl in mdv.findall("odm:CodeList", NS)
    }
    return Define(tuple(datasets), items, codelists, value_lists)
