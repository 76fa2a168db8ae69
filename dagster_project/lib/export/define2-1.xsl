<?xml version="1.0" encoding="UTF-8"?>
<!-- define.xml (Define-XML 2.1) as an HTML page a reviewer's browser opens: the datasets, then
     per dataset its variables (label, type, length, format, origin, codelist, method), the
     value-level metadata, the codelists, the methods and the comments. Written for this
     project's define.xml (lib/export/define_xml.py); XSLT 1.0, which every browser runs.
     Chromium-based browsers apply a stylesheet to a local file (file://) only when started
     with allow-file-access-from-files, or when the folder is served over http; Firefox
     applies it from the same folder as is. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:odm="http://www.cdisc.org/ns/odm/v1.3"
    xmlns:def="http://www.cdisc.org/ns/def/v2.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    exclude-result-prefixes="odm def xlink">
  <xsl:output method="html" encoding="UTF-8" indent="yes"/>

  <xsl:variable name="mdv" select="/odm:ODM/odm:Study/odm:MetaDataVersion"/>
  <xsl:key name="item" match="odm:ItemDef" use="@OID"/>
  <xsl:key name="codelist" match="odm:CodeList" use="@OID"/>
  <xsl:key name="method" match="odm:MethodDef" use="@OID"/>
  <xsl:key name="comment" match="def:CommentDef" use="@OID"/>
  <xsl:key name="valuelist" match="def:ValueListDef" use="@OID"/>
  <xsl:key name="where" match="def:WhereClauseDef" use="@OID"/>

  <xsl:template match="/">
    <html>
      <head>
        <meta charset="UTF-8"/>
        <title>Define-XML: <xsl:value-of select="/odm:ODM/odm:Study/odm:GlobalVariables/odm:StudyName"/></title>
        <style>
          body { font-family: sans-serif; margin: 1.5em; }
          table { border-collapse: collapse; margin-bottom: 1.5em; }
          th, td { border: 1px solid #999; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
          th { background: #e8eef4; }
          td.text { max-width: 50em; }
        </style>
      </head>
      <body>
        <h1><xsl:value-of select="/odm:ODM/odm:Study/odm:GlobalVariables/odm:StudyName"/>: analysis datasets</h1>
        <p>
          <xsl:value-of select="$mdv/@Description"/>, Define-XML <xsl:value-of select="$mdv/@def:DefineVersion"/>,
          created <xsl:value-of select="/odm:ODM/@CreationDateTime"/>.
        </p>
        <h2 id="datasets">Datasets</h2>
        <table id="dataset-table">
          <tr><th>Dataset</th><th>Label</th><th>Class</th><th>Structure</th><th>Keys</th><th>Purpose</th><th>Location</th></tr>
          <xsl:for-each select="$mdv/odm:ItemGroupDef">
            <tr>
              <td><a href="#{@OID}"><xsl:value-of select="@Name"/></a></td>
              <td><xsl:value-of select="odm:Description/odm:TranslatedText"/></td>
              <td><xsl:value-of select="def:Class/@Name"/></td>
              <td><xsl:value-of select="@def:Structure"/></td>
              <td>
                <xsl:for-each select="odm:ItemRef[@KeySequence]">
                  <xsl:sort select="@KeySequence" data-type="number"/>
                  <xsl:value-of select="key('item', @ItemOID)/@Name"/>
                  <xsl:if test="position() != last()">, </xsl:if>
                </xsl:for-each>
              </td>
              <td><xsl:value-of select="@Purpose"/></td>
              <td><a href="{def:leaf/@xlink:href}"><xsl:value-of select="def:leaf/def:title"/></a></td>
            </tr>
          </xsl:for-each>
        </table>
        <xsl:apply-templates select="$mdv/odm:ItemGroupDef"/>
        <h2 id="valuelevel">Value-level metadata</h2>
        <xsl:apply-templates select="$mdv/def:ValueListDef"/>
        <h2 id="codelists">Codelists</h2>
        <xsl:apply-templates select="$mdv/odm:CodeList"/>
        <h2 id="methods">Methods</h2>
        <table>
          <tr><th>Method</th><th>Type</th><th>Description</th></tr>
          <xsl:for-each select="$mdv/odm:MethodDef">
            <tr id="{@OID}">
              <td><xsl:value-of select="@Name"/></td>
              <td><xsl:value-of select="@Type"/></td>
              <td class="text"><xsl:value-of select="odm:Description/odm:TranslatedText"/></td>
            </tr>
          </xsl:for-each>
        </table>
        <h2 id="comments">Comments</h2>
        <table>
          <tr><th>Comment</th><th>Description</th></tr>
          <xsl:for-each select="$mdv/def:CommentDef">
            <tr id="{@OID}">
              <td><xsl:value-of select="@OID"/></td>
              <td class="text"><xsl:value-of select="odm:Description/odm:TranslatedText"/></td>
            </tr>
          </xsl:for-each>
        </table>
      </body>
    </html>
  </xsl:template>

  <!-- One dataset: its variables in order. -->
  <xsl:template match="odm:ItemGroupDef">
    <h2 id="{@OID}"><xsl:value-of select="@Name"/> (<xsl:value-of select="odm:Description/odm:TranslatedText"/>)</h2>
    <table class="variables">
      <tr><th>Variable</th><th>Label</th><th>Type</th><th>Length</th><th>Format</th><th>Key</th>
          <th>Origin</th><th>Codelist</th><th>Method / comment</th></tr>
      <xsl:for-each select="odm:ItemRef">
        <xsl:sort select="@OrderNumber" data-type="number"/>
        <xsl:variable name="item" select="key('item', @ItemOID)"/>
        <tr>
          <td><xsl:value-of select="$item/@Name"/></td>
          <td><xsl:value-of select="$item/odm:Description/odm:TranslatedText"/></td>
          <td><xsl:value-of select="$item/@DataType"/></td>
          <td><xsl:value-of select="$item/@Length"/></td>
          <td><xsl:value-of select="$item/@def:DisplayFormat"/></td>
          <td><xsl:value-of select="@KeySequence"/></td>
          <td><xsl:apply-templates select="$item/def:Origin"/></td>
          <td>
            <xsl:if test="$item/odm:CodeListRef">
              <a href="#{$item/odm:CodeListRef/@CodeListOID}"><xsl:value-of select="key('codelist', $item/odm:CodeListRef/@CodeListOID)/@Name"/></a>
            </xsl:if>
            <xsl:if test="$item/def:ValueListRef">
              <xsl:text> </xsl:text><a href="#{$item/def:ValueListRef/@ValueListOID}">value-level</a>
            </xsl:if>
          </td>
          <td class="text">
            <xsl:value-of select="key('method', @MethodOID)/odm:Description/odm:TranslatedText"/>
            <xsl:value-of select="key('comment', $item/@def:CommentOID)/odm:Description/odm:TranslatedText"/>
          </td>
        </tr>
      </xsl:for-each>
    </table>
  </xsl:template>

  <xsl:template match="def:Origin">
    <xsl:value-of select="@Type"/>
    <xsl:if test="odm:Description"><xsl:text>: </xsl:text><xsl:value-of select="odm:Description/odm:TranslatedText"/></xsl:if>
  </xsl:template>

  <!-- Value-level metadata of one variable: one row per WhereClause. -->
  <xsl:template match="def:ValueListDef">
    <h3 id="{@OID}"><xsl:value-of select="@OID"/></h3>
    <table>
      <tr><th>Where</th><th>Variable</th><th>Description</th><th>Type</th><th>Length</th><th>Origin</th></tr>
      <xsl:for-each select="odm:ItemRef">
        <xsl:variable name="item" select="key('item', @ItemOID)"/>
        <xsl:variable name="check" select="key('where', def:WhereClauseRef/@WhereClauseOID)/odm:RangeCheck"/>
        <tr>
          <td><xsl:value-of select="key('item', $check/@def:ItemOID)/@Name"/><xsl:text> </xsl:text>
              <xsl:value-of select="$check/@Comparator"/><xsl:text> </xsl:text>
              <xsl:value-of select="$check/odm:CheckValue"/></td>
          <td><xsl:value-of select="$item/@Name"/></td>
          <td><xsl:value-of select="$item/odm:Description/odm:TranslatedText"/></td>
          <td><xsl:value-of select="$item/@DataType"/></td>
          <td><xsl:value-of select="$item/@Length"/></td>
          <td><xsl:apply-templates select="$item/def:Origin"/></td>
        </tr>
      </xsl:for-each>
    </table>
  </xsl:template>

  <!-- One codelist: its values, with their meaning when it has one. -->
  <xsl:template match="odm:CodeList">
    <h3 id="{@OID}"><xsl:value-of select="@Name"/></h3>
    <table>
      <tr><th>Value</th><th>Meaning</th></tr>
      <xsl:for-each select="odm:CodeListItem | odm:EnumeratedItem">
        <xsl:sort select="@OrderNumber" data-type="number"/>
        <tr>
          <td><xsl:value-of select="@CodedValue"/></td>
          <td><xsl:value-of select="odm:Decode/odm:TranslatedText"/></td>
        </tr>
      </xsl:for-each>
    </table>
  </xsl:template>
</xsl:stylesheet>
