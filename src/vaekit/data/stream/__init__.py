"""Data bigger than memory, read in chunks: the sources a training loop streams from.

A :class:`ChunkSource` is a random-access view of rows on disk, in chunks that are
read one at a time (freshly allocated float32, converted as the in-memory readers
of :mod:`vaekit.data.read` convert the whole file). Read from the small parts up:

- :mod:`~vaekit.data.stream.base` -- the protocol and what the sources share;
- one module per form: :class:`NpyChunks` (a ``.npy`` file, read with plain file
  reads, never mapped), :class:`ParquetChunks` (a Parquet file or folder, a row group
  per chunk), :class:`CsvChunks` (a text table, indexed by byte offsets in one pass),
  :class:`ImageFolderChunks` (image files decoded a block at a time);
- :func:`open_stream` -- the one entry, by type and suffix;
- :func:`stream_statistics` -- per-feature statistics in one pass (for
  :meth:`~vaekit.data.preprocessing.Scaling.from_statistics`), and the NaN check;
- :func:`convert_to_parquet` -- a text or ``.npy`` table rewritten as Parquet.

The batches a model trains on are :class:`vaekit.training.batches.StreamBatches`
(torch lives there, not here).
"""

from vaekit.data.stream.base import DEFAULT_CHUNK_BYTES, ChunkSource
from vaekit.data.stream.convert import convert_to_parquet
from vaekit.data.stream.csv_chunks import CsvChunks
from vaekit.data.stream.dispatch import STREAMABLE, open_stream
from vaekit.data.stream.image_chunks import ImageFolderChunks
from vaekit.data.stream.npy_chunks import NpyChunks
from vaekit.data.stream.parquet_chunks import ParquetChunks
from vaekit.data.stream.statistics import StreamStatistics, stream_statistics
from vaekit.data.stream.subset import RowSubset, read_rows

__all__ = [
    "DEFAULT_CHUNK_BYTES", "STREAMABLE", "ChunkSource", "CsvChunks", "ImageFolderChunks", "NpyChunks",
    "ParquetChunks", "RowSubset", "StreamStatistics", "convert_to_parquet", "open_stream", "read_rows",
    "stream_statistics",
]  # fmt: skip
