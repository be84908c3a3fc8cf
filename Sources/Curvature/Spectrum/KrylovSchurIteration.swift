/// The restarted (block) Krylov–Schur driver shared by ``Lanczos`` and ``BlockLanczos``.
struct KrylovSchurIteration {
  var k: Int
  var target: EigenTarget
  var tolerance: Double
  var maxProducts: Int
  /// Maximum basis size m (k + p).
  var capacity: Int
  /// Columns added per expansion step (1 = Lanczos).
  var blockSize: Int
  /// Ritz pairs kept at a thick restart.
  var keep: Int
  var seed: UInt64
  /// Whether convergence tests follow a ``ConvergenceSchedule`` (otherwise: every step while
  /// the basis holds at most 64 columns, every other step beyond).
  var adaptiveTests = true

  /// Runs the iteration on `op`, warm-started from `warmStart` if given.
  func run(on op: any HessianOperator, warmStart: Basis?) throws -> EigenResult {
    let p = op.dimension
    var rng = SeededGenerator(seed: seed)
    let ws = KrylovSchurWorkspace(operator: op, capacity: capacity)
    let b = blockSize
    var iterations = 0
    // Starting block: the warm-start basis, or random vectors.
    if let warm = warmStart, warm.count > 0 {
      if b == 1 {
        // One Krylov sequence from a vector inside the previous subspace: its polynomial filter
        // removes the (small) components outside it for every pair at once.
        var start = [Float](repeating: 0, count: p)
        for j in 0..<warm.count {
          warm.withColumn(j) { col in
            start.withUnsafeMutableBufferPointer { Kernels.axpy(1, col, $0) }
          }
        }
        _ = try ws.append(candidates: start, count: 1)
      } else {
        let cols = min(warm.count, capacity - b, maxProducts)
        _ = try ws.append(candidates: Array(warm.storage[0..<(cols * p)]), count: cols)
      }
    }
    if ws.count == 0 {
      _ = try ws.append(
        candidates: ws.directions(nil, wanted: k, tolerance: tolerance, count: b, rng: &rng),
        count: b)
    }
    var verificationFailed = false
    var sinceCheck = 0
    var schedule = ConvergenceSchedule()
    while true {
      let full = ws.count + b > capacity || ws.count >= p
      let noRoom = ws.products + b > maxProducts
      let exhausted = ws.count >= p
      sinceCheck += 1
      // Tests on a small basis are cheap (O(m³)): the schedule only thins out those from 2k on.
      let scheduled = adaptiveTests && ws.count >= 2 * k ? schedule.gap : 1
      let interval = max(scheduled, ws.count <= 64 ? 1 : 2)
      // Ritz pairs with their coefficient vectors, when this pass computed them.
      var ritz: KrylovSchurWorkspace.Ritz? = nil
      if ws.count >= k && (sinceCheck >= interval || full || noRoom || ws.zCount > 1) {
        // The convergence test needs only the Ritz values and residual estimates; the
        // vectors are formed when the test passes, the basis is compressed, or the next
        // directions are drawn from a Z wider than the block.
        let needsVectors = ws.zCount > b || full
        let estimate = try needsVectors ? ws.ritz(target: target) : ws.ritzEstimates(target: target)
        if needsVectors { ritz = estimate }
        var estimated = true
        var worst = 0.0
        for i in 0..<k {
          let bound = tolerance * abs(estimate.values[i])
          if estimate.estimates[i] > bound { estimated = false }
          worst = max(worst, bound > 0 ? estimate.estimates[i] / bound : .infinity)
        }
        schedule.record(worst: worst, after: sinceCheck)
        sinceCheck = 0
        if exhausted || noRoom || (estimated && !verificationFailed) {
          let r = try ritz ?? ws.ritz(target: target)
          ritz = r
          let pairs = ws.explicitPairs(r, count: k)
          let ok = (0..<k).map { pairs.residuals[$0] <= tolerance * abs(r.values[$0]) }
          if ok.allSatisfy({ $0 }) || exhausted || noRoom {
            return EigenResult(
              eigenvalues: Array(r.values[0..<k]),
              vectors: Basis(uncheckedStorage: pairs.vectors, dimension: p, count: k),
              residuals: pairs.residuals, converged: ok, productCount: ws.products,
              iterations: iterations, tolerance: tolerance)
          }
          verificationFailed = true
        }
        if full {
          let r = try ritz ?? ws.ritz(target: target)
          ws.restart(r, keep: min(keep, ws.count - 1))
          iterations += 1
          verificationFailed = false
          ritz = nil
        }
      } else if noRoom || full {
        // Fewer than k columns and no way to grow: report what the space holds.
        let r = try ws.ritz(target: target)
        let kk = min(k, ws.count)
        let pairs = ws.explicitPairs(r, count: kk)
        return EigenResult(
          eigenvalues: Array(r.values[0..<kk]),
          vectors: Basis(uncheckedStorage: pairs.vectors, dimension: p, count: kk),
          residuals: pairs.residuals,
          converged: (0..<kk).map { pairs.residuals[$0] <= tolerance * abs(r.values[$0]) },
          productCount: ws.products, iterations: iterations, tolerance: tolerance)
      }
      let room = min(b, capacity - ws.count, maxProducts - ws.products)
      var added: Int
      if b == 1 && ws.zCount == 1 && room == 1 {
        // Single-vector Lanczos: the next basis vector is the residual direction itself.
        added = try ws.appendResidualDirection()
      } else {
        // Directions from Z rank the wanted pairs by their estimates when Z has more columns
        // than the block: that needs the Ritz vectors.
        if ws.zCount > b && ritz == nil && ws.count >= 1 { ritz = try ws.ritz(target: target) }
        added = try ws.append(
          candidates: ws.directions(ritz, wanted: k, tolerance: tolerance, count: room, rng: &rng),
          count: room)
      }
      var attempts = 0
      while added == 0 && attempts < 3 && ws.count < p {
        // Invariant subspace found: continue from random directions orthogonal to it.
        var random: [Float] = []
        for _ in 0..<room { random.append(contentsOf: rng.uniformVector(count: p)) }
        added = try ws.append(candidates: random, count: room)
        attempts += 1
      }
      if added == 0 && ws.count < p {
        throw CurvatureError.diverged(reason: "Krylov basis cannot grow")
      }
    }
  }
}
