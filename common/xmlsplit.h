/*
 * A small lexer that finds where one XML document ends in a byte stream,
 * so that several concatenated reports (TA-dmarc's "is it just 1 report"
 * step) can be handed to the XML parser one at a time without reading
 * any of them into memory.  It sees every byte before the parser does,
 * which makes it the gate for what we never parse: a document type
 * declaration (DTDs, entities, XXE, billion laughs) is refused here,
 * and so are encodings that are not ASCII-compatible or UTF-16, and a
 * tag with more attributes than max_attrs.
 *
 * It understands just enough XML: start, end and empty-element tags with
 * quoted attribute values, comments, CDATA sections and processing
 * instructions, in 8-bit encodings and UTF-16.  It does not check
 * well-formedness; the parser does.
 */
#ifndef DP_XMLSPLIT_H
#define DP_XMLSPLIT_H

#include <stddef.h>

enum xs_status {
	XS_MORE,	/* everything scanned belongs to the document */
	XS_END,		/* the document ends with the bytes taken (its
			   root element and the white space, comments and
			   PIs after it, up to what starts the next) */
	XS_EMPTY,	/* only white space until the end: no document */
	XS_ERROR,	/* refused: ->error says why */
};

struct xmlsplit {
	int		 state;
	int		 unit;		/* 1 or 2 bytes per code unit */
	int		 big;		/* UTF-16 big-endian */
	long		 depth;		/* open elements */
	unsigned	 quote;		/* inside a quoted attribute value */
	unsigned	 prev1, prev2;	/* the last two code units */
	int		 after;		/* the root element has closed */
	int		 nbang;		/* bytes matched after "<!" */
	char		 bang[8];
	unsigned long	 skipped_lines;	/* newlines in skipped space */
	long long	 max_attrs;	/* attributes in one tag; 0: any
					   number (set after xs_init()) */
	long long	 nattrs;	/* in the tag being scanned */
	const char	*error;
	char		 errbuf[96];
};

/*
 * How many bytes at `p` are white space or UTF-8 byte order marks, the
 * bytes allowed between documents; newlines among them are added to
 * *lines.
 */
size_t	xs_space(const unsigned char *p, size_t len, unsigned long *lines);

/* Before each document. */
void	xs_init(struct xmlsplit *);

/*
 * Scan the `len` bytes at `p`; `eof` says no more bytes will follow.
 * *skip bytes (white space or a UTF-8 byte order mark before the
 * document) are to be dropped, then *take bytes are the document's.
 * The caller passes the rest again next time, after more input.  On
 * XS_ERROR, *take counts the bytes up to the refused one, which are not
 * the document's: they only tell where the refusal is.
 */
enum xs_status	xs_scan(struct xmlsplit *, const unsigned char *p, size_t len,
		    int eof, size_t *skip, size_t *take);

#endif
