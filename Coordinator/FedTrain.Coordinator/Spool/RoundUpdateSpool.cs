using FedTrain.Coordinator.Storage;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Compression;
using FedTrain.Core.Files;

namespace FedTrain.Coordinator.Spool;

/// <summary>
/// The open round's verified updates, one file each in the run's <c>spool/</c> directory. An upload is received
/// into a temporary file; once its checksum is verified it is flushed to disk, renamed into place, folded, and
/// recorded in the journal (the directory flushed first) before it is acknowledged; records that arrive together
/// share one directory flush and one transaction. After a crash the round resumes with exactly
/// the recorded updates: an unrecorded file is an upload that was never acknowledged and is deleted.
/// </summary>
/// <remarks>Without a journal (a store that keeps none) the files still spare process memory but nothing resumes.</remarks>
public sealed class RoundUpdateSpool
{
    private const string TemporarySuffix = ".part";
    private const string KeptSuffix = ".update";

    private readonly IUpdateJournal? _journal;
    private readonly KeptUpdateCommitter? _committer;
    private readonly bool _durable;

    /// <param name="directory">The spool directory, created if missing.</param>
    /// <param name="journal">Where kept updates are recorded; null keeps no record.</param>
    /// <param name="durableFiles">
    /// Flush kept files to disk even without a journal: a node that receives uploads for the leading node keeps them
    /// in the shared spool, and the leader records them in its journal.
    /// </param>
    public RoundUpdateSpool(string directory, IUpdateJournal? journal, bool durableFiles = false)
    {
        PrivateFiles.CreateDirectory(directory);
        Directory = Path.GetFullPath(directory);
        _journal = journal;
        _committer = journal is null ? null : new KeptUpdateCommitter(Directory, journal);
        _durable = journal is not null || durableFiles;
    }

    public string Directory { get; }

    /// <summary>Whether kept updates survive a crash.</summary>
    public bool IsDurable => _durable;

    /// <summary>Opens a fresh temporary file for one upload.</summary>
    public PendingUpload Begin(long round, string clientId)
    {
        string path = Path.Combine(Directory, $"round-{round:D6}-{clientId}-{Guid.NewGuid():N}{TemporarySuffix}");
        var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        if (!OperatingSystem.IsWindows())
        {
            // A client's update is its owner's data: the coordinator's account alone may read it (the spool folder is
            // 0700 too, so nobody else could reach the file before this).
            File.SetUnixFileMode(file, PrivateFiles.FileMode);
        }

        return new PendingUpload(round, clientId, path, file);
    }

    /// <summary>
    /// Flushes a verified upload's bytes to disk where the spool is durable. Uploads call it before taking the
    /// round's lock, so that their fsyncs overlap; <see cref="Store"/> flushes any upload that has not been.
    /// </summary>
    public void Flush(PendingUpload upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        if (_durable && !upload.Flushed)
        {
            RandomAccess.FlushToDisk(upload.File);
            upload.Flushed = true;
        }
    }

    /// <summary>
    /// Moves a verified upload into place under <paramref name="fileName"/> (flushed to disk first where the spool is
    /// durable) and opens it for folding, decoded from <paramref name="encoding"/>. The caller disposes the returned
    /// update once folded.
    /// </summary>
    public SpooledUpdate Store(PendingUpload upload, string fileName, long parameterCount, UpdateEncoding encoding = UpdateEncoding.Float32)
    {
        ArgumentNullException.ThrowIfNull(upload);
        string path = Path.Combine(Directory, fileName);
        Flush(upload);

        File.Move(upload.TemporaryPath, path, overwrite: true);
        upload.Kept = true;
        return SpooledUpdate.Open(path, parameterCount, encoding);
    }

    /// <summary>
    /// Records a stored update in the journal, after making its rename durable, together with every other update
    /// recorded meanwhile (<see cref="KeptUpdateCommitter"/>). Once the task completes the update survives a crash;
    /// it fails with the reason when the record could not be written.
    /// </summary>
    public Task RecordAsync(string runId, KeptUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return _committer is null ? Task.CompletedTask : _committer.RecordAsync(runId, update);
    }

    /// <summary>Makes the renames into the spool durable (where it is): before another node records what is kept here.</summary>
    public void SyncDirectory()
    {
        if (_durable)
        {
            DirectorySync.Flush(Directory);
        }
    }

    /// <summary>
    /// A spool file name of a client's update received by another node: unique per upload, so that a second upload for
    /// the same client (a retry after a lost acknowledgement) never replaces the one the leader counted.
    /// </summary>
    public static string UniqueFileNameFor(long round, string clientId) => $"round-{round:D6}-{clientId}-{Guid.NewGuid():N}{KeptSuffix}";

    /// <summary>The file of a node's partial sum of a round (discarded with the round's updates).</summary>
    public static string PartialSumFileNameFor(long round, string node) =>
        $"round-{round:D6}-partial-{string.Concat(node.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_'))}.sum";

    /// <summary>Deletes a stored update that was not accepted after all.</summary>
    public void Remove(string fileName) => File.Delete(Path.Combine(Directory, fileName));

    /// <summary>The spool file name of a client's update in a round.</summary>
    public static string FileNameFor(long round, string clientId) => $"round-{round:D6}-{clientId}{KeptSuffix}";

    /// <summary>
    /// The updates a crashed coordinator kept for <paramref name="round"/> from model <paramref name="modelVersion"/>,
    /// opened for folding. Everything else in the spool directory is left over from a crash and is deleted.
    /// </summary>
    /// <param name="skipped">Receives a line for each recorded update that cannot be used (file lost or damaged).</param>
    /// <param name="encoding">
    /// The run's update encoding. A file of another size (the coordinator was restarted with another
    /// <c>--update-compression</c>) is skipped like a damaged one, and its client asked again.
    /// </param>
    public async Task<IReadOnlyList<(KeptUpdate Update, SpooledUpdate File)>> RestoreAsync(
        string runId, long round, long modelVersion, long parameterCount, Action<KeptUpdate, string> skipped,
        UpdateEncoding encoding = UpdateEncoding.Float32, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(skipped);
        var records = _journal is null ? [] : await _journal.LoadKeptUpdatesAsync(runId, round, cancellationToken).ConfigureAwait(false);
        var usable = new List<(KeptUpdate, SpooledUpdate)>();
        foreach (var record in records)
        {
            if (record.ModelVersion != modelVersion)
            {
                skipped(record, $"it was trained from model version {record.ModelVersion}, the round trains {modelVersion}");
                continue;
            }

            try
            {
                usable.Add((record, SpooledUpdate.Open(Path.Combine(Directory, record.FileName), parameterCount, encoding)));
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                skipped(record, ex.Message);
            }
        }

        var keep = usable.Select(u => u.Item1.FileName).ToHashSet(StringComparer.Ordinal);
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory))
        {
            if (!keep.Contains(Path.GetFileName(file)))
            {
                File.Delete(file);
            }
        }

        return usable;
    }

    /// <summary>Forgets the updates of <paramref name="round"/> and earlier: journal rows, then files.</summary>
    public async Task DiscardAsync(string runId, long round, CancellationToken cancellationToken = default)
    {
        if (_journal is not null)
        {
            await _journal.DeleteKeptUpdatesAsync(runId, round, cancellationToken).ConfigureAwait(false);
        }

        foreach (string file in System.IO.Directory.EnumerateFiles(Directory, "round-*"))
        {
            if (long.TryParse(Path.GetFileName(file).AsSpan(6, 6), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long r)
                && r <= round && !file.EndsWith(TemporarySuffix, StringComparison.Ordinal))
            {
                File.Delete(file);
            }
        }
    }
}
