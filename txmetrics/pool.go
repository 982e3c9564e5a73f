package txmetrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/txscope/txscope/txmetrics/names"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// poolInstruments are the observable pool gauges and counters.
type poolInstruments struct {
	inUse, idle, max metric.Int64ObservableGauge
	waits            metric.Int64ObservableCounter
	waitTime         metric.Float64ObservableCounter
}

func newPoolInstruments(meter metric.Meter) (poolInstruments, error) {
	conns := metric.WithUnit("{connection}")
	var p poolInstruments
	var errs [5]error
	p.inUse, errs[0] = meter.Int64ObservableGauge(names.MetricPoolInUse, conns,
		metric.WithDescription("Connections checked out of the pool."))
	p.idle, errs[1] = meter.Int64ObservableGauge(names.MetricPoolIdle, conns,
		metric.WithDescription("Idle connections in the pool."))
	p.max, errs[2] = meter.Int64ObservableGauge(names.MetricPoolMax, conns,
		metric.WithDescription("The pool's connection limit (0: none)."))
	p.waits, errs[3] = meter.Int64ObservableCounter(names.MetricPoolWaits, metric.WithUnit("{wait}"),
		metric.WithDescription("Acquires that waited for a connection."))
	p.waitTime, errs[4] = meter.Float64ObservableCounter(names.MetricPoolWaitTime, metric.WithUnit("s"),
		metric.WithDescription("Total time acquires waited for a connection."))
	return p, errors.Join(errs[:]...)
}

// poolStats is what both pool kinds report.
type poolStats struct {
	inUse, idle, max, waits int64
	waitTime                time.Duration
}

// ObservePgxPool reports pool's gauges under the label pool=name at each
// collection. Unregister the result when the pool closes.
func (m *Metrics) ObservePgxPool(pool *pgxpool.Pool, name string) (metric.Registration, error) {
	return m.observe(name, func() poolStats {
		s := pool.Stat()
		return poolStats{
			inUse: int64(s.AcquiredConns()), idle: int64(s.IdleConns()), max: int64(s.MaxConns()),
			waits: s.EmptyAcquireCount(), waitTime: s.EmptyAcquireWaitTime(),
		}
	})
}

// ObserveDB reports db's gauges (from DBStats) under the label pool=name at
// each collection. Unregister the result when db closes.
func (m *Metrics) ObserveDB(db *sql.DB, name string) (metric.Registration, error) {
	return m.observe(name, func() poolStats {
		s := db.Stats()
		return poolStats{
			inUse: int64(s.InUse), idle: int64(s.Idle), max: int64(s.MaxOpenConnections),
			waits: s.WaitCount, waitTime: s.WaitDuration,
		}
	})
}

func (m *Metrics) observe(name string, stats func() poolStats) (metric.Registration, error) {
	p := m.pool
	attrs := metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrPool, name)))
	reg, err := m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := stats()
		o.ObserveInt64(p.inUse, s.inUse, attrs)
		o.ObserveInt64(p.idle, s.idle, attrs)
		o.ObserveInt64(p.max, s.max, attrs)
		o.ObserveInt64(p.waits, s.waits, attrs)
		o.ObserveFloat64(p.waitTime, s.waitTime.Seconds(), attrs)
		return nil
	}, p.inUse, p.idle, p.max, p.waits, p.waitTime)
	if err != nil {
		return nil, fmt.Errorf("txmetrics: observe pool %s: %w", name, err)
	}
	return reg, nil
}
