#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsDevice, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsDevice' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has the GetByName (default) and GetById parameter sets' {
        $command = Get-Command -Name Get-AmsDevice -Module AccessManager
        $command.DefaultParameterSet | Should -BeExactly 'GetByName'
        ($command.ParameterSets.Name | Sort-Object) -join ',' | Should -BeExactly 'GetById,GetByName'
        (Get-AmsParameterSet Get-AmsDevice Name GetByName).Position | Should -Be 0
        (Get-AmsParameterSet Get-AmsDevice Id GetById).IsMandatory | Should -BeTrue
        $values = $command.Parameters['ApprovalState'].Attributes |
            Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] }
        $values.ValidValues -join ',' | Should -BeExactly 'Pending,Approved,Rejected'
    }

    It 'lists every device with no parameters' {
        $devices = @(Get-AmsDevice)
        (Get-AmsStubCall).Line | Should -BeExactly 'device get'
        $devices.Count | Should -Be 2
        $devices[0].PSTypeNames[0] | Should -BeExactly 'Ams.Device'
        $devices[0].DeviceId | Should -BeExactly $devices[0].Id
    }

    It 'passes the name (positionally) and the approval state' {
        $null = Get-AmsDevice 'PC1' -ApprovalState Pending
        (Get-AmsStubCall).Line | Should -BeExactly 'device get --name PC1 --approval-state Pending'
    }

    It 'passes the id' {
        $null = Get-AmsDevice -Id 'd-1'
        (Get-AmsStubCall).Line | Should -BeExactly 'device get --id d-1'
    }

    It 'refuses an unknown approval state without running ams' {
        { Get-AmsDevice -ApprovalState Sleeping } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
